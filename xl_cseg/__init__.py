"""xl-cseg: customer segmentation and account planning for B2B sales teams in Excel."""

__version__ = "0.1.0"
