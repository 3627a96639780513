"""Staff in the app rather than the admin (for 総務課): accounts, their departments and roles,
and 人事異動 — dated changes, uploaded as CSV or Excel, applied on their date.

- rules.py: who may manage staff, and what a change may not do (leave an office without an
  approver); the pages show and the services raise the same messages;
- services.py: every change of state (create, edit, leave, password, changes recorded and
  applied on their date, sessions ended);
- selectors.py: the staff list, a person's record and history;
- transfers.py: a 人事異動 file read, checked row by row into a plan, and confirmed;
- forms.py: validation of the pages' input.
"""
