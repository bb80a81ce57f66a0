"""The videos app's API: the upload protocol (`uploads`) and videos (`videos`)."""
