"""One page of a long list: used by every paginated screen."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(session, query: Select, page: int, per_page: int) -> Page:
    """One COUNT and one LIMIT/OFFSET query."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)

