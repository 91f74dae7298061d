"""Running the workbook: notebooks, the site, the requirement catalogue, plots."""
