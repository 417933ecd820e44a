"""Provider payments: money coming in from outside the hub, credited exactly once."""
