from .selectors import managed_county, scope_for_user


def role(request) -> dict:
    """Expose the user's scope to templates (navigation, read-only hints)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for_user(user)
    return {"scope": scope, "can_manage": managed_county(user) is not None}
