"""Tools for staff and testers (not part of the portal, not installed with it): the disclosure
red team, the sample generator (tools/sample), the docs writer and the screenshots."""
