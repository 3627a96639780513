"""The office's own directory for 総務課: its departments, 区分 and staff, managed without the admin."""
