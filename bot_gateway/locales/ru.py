"""Russian texts of the bots."""

TEXTS: dict[str, str] = {
    "start.welcome_new": "Добро пожаловать, {name}!",
    "start.welcome_back": "С возвращением, {name}!",
    "start.invited": "Вы присоединились по приглашению.",
    "start.referral_link": "Приглашайте друзей по своей ссылке:\n{link}",
    "errors.unavailable": "Сервис временно недоступен. Попробуйте через минуту.",
    "errors.unexpected": "Что-то пошло не так. Попробуйте позже.",
}
