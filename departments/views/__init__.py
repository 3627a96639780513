"""The office's own pages for 総務課: its departments, 区分 and staff, managed without the admin."""
