"""Safe reading and minimal-diff writing of user .xlsx/.xlsm workbooks.

A user's workbook is never loaded and saved through a full object model. Reading:
:func:`safezip.open_package` -> :class:`package.Package`, whose :class:`scan.SheetScan` of a
sheet part serves the readers and the writer. Writing: :func:`sheetwriter.write_sheet` /
:func:`tablepart.patch_table` produce new part bytes, :func:`atomic.write_package` copies every
other member unchanged and replaces the file atomically. Rows and columns are 0-based.
"""
