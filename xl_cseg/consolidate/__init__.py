"""Consolidating territory workbooks into a master workbook, pushing the controller's parameters
into every territory workbook, and the history of segment snapshots."""
