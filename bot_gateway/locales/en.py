"""English texts of the bots (the fallback for keys another locale lacks)."""

TEXTS: dict[str, str] = {
    "start.welcome_new": "Welcome, {name}!",
    "start.welcome_back": "Welcome back, {name}!",
    "start.invited": "You joined by an invitation.",
    "start.referral_link": "Invite friends with your personal link:\n{link}",
    "errors.unavailable": "The service is temporarily unavailable. Please try again in a minute.",
    "errors.unexpected": "Something went wrong. Please try again later.",
}
