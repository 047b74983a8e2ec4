"""View decorators for roles and rights."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def editor_required(view):
    """Admins and referents only: lecteurs read, they do not write."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_edit:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def right_required(right: str):
    """Users holding this RIGHTS key only (admins hold them all): 403 otherwise."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_right(right):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
