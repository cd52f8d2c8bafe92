"""Staff pages of the benefits app."""
