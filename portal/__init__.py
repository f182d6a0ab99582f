"""open-figures: the public transparency portal of children's care charities."""

__version__ = "0.1.0"
