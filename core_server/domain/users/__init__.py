"""Users of a tenant: registration (with referral attribution), profiles, lookup."""
