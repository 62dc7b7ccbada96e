"""placeholder"""

from flask import Blueprint

bp = Blueprint("partnership", __name__)


@bp.route("/partnership")
def overview():
    return "x"
