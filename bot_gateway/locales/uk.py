"""Ukrainian texts of the bots."""

TEXTS: dict[str, str] = {
    "start.welcome_new": "Ласкаво просимо, {name}!",
    "start.welcome_back": "З поверненням, {name}!",
    "start.invited": "Ви приєдналися за запрошенням.",
    "start.referral_link": "Запрошуйте друзів за своїм посиланням:\n{link}",
    "errors.unavailable": "Сервіс тимчасово недоступний. Спробуйте за хвилину.",
    "errors.unexpected": "Щось пішло не так. Спробуйте пізніше.",
}
