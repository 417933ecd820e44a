"""Manual top-up requests: tenant payment methods, requests, approval and rejection."""
