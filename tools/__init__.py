"""Tools for staff and testers (not part of the portal): the disclosure red team."""
