"""REST APIs of the HTTP gateway, one package per version."""
