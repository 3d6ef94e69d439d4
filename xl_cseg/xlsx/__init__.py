"""Safe reading and minimal-diff writing of user .xlsx/.xlsm workbooks."""
