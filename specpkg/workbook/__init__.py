"""Running the workbook: notebooks, the published book, the requirement catalogue, plots."""
