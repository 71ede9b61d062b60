"""The bureau's desk (办公端) at /console/: server-rendered pages over the same services as the API."""
