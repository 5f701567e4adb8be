"""The map's grid: reports in web mercator, and report counts per tile kept exact by triggers.

``reports.web_point`` is the report's place in EPSG:3857 (a stored generated column with a GiST
index), so that a vector tile filters on ``web_point && ST_TileEnvelope(z, x, y)`` without
transforming a million points. ``report_cells`` counts reports per slippy-map tile at the zooms
of ``reports.geo.cells.LEVELS`` × state × category, and ``report_cells_daily`` the same per day
(Vietnam's day of ``created_at``); low zooms are drawn from them instead of grouping reports.

Statement-level triggers with transition tables keep both tables exact: a COPY or an UPDATE of
many rows makes one grouped upsert per table, its keys sorted so that concurrent writers lock
rows in the same order (no deadlock). Counts that fall to zero are deleted: every row has n > 0.

Revision ID: 0010_data
Revises: 0009_notify
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0010_data"
down_revision: str | None = "0010_triage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The zooms of reports.geo.cells.LEVELS; (x, y) is the XYZ tile (y from the north) of a point in
# EPSG:3857, the same tile whose ST_TileEnvelope contains it (its west and south edges included).
FUNCTIONS = """
CREATE FUNCTION report_cell_levels() RETURNS smallint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT '{7,10,13,16}'::smallint[] $$;

CREATE FUNCTION report_tile_x(point geometry, zoom integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT least(greatest(floor((ST_X(point) + 20037508.342789244)
         / 40075016.685578488 * (1 << zoom))::integer, 0), (1 << zoom) - 1)
$$;

CREATE FUNCTION report_tile_y(point geometry, zoom integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT least(greatest(floor((20037508.342789244 - ST_Y(point))
         / 40075016.685578488 * (1 << zoom))::integer, 0), (1 << zoom) - 1)
$$;

CREATE FUNCTION report_day(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
$$;

CREATE TYPE report_cell_change AS (
  web_point geometry, state varchar(16), category_id integer, created_at timestamptz, n integer
);
"""

# Adds signed changes (+1 a report that arrives in a key, -1 one that leaves it) to both tables:
# one grouped upsert each, keys sorted, then the rows whose count fell to zero are deleted.
APPLY = """
CREATE FUNCTION report_cells_apply(changes report_cell_change[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  deltas report_cells_daily[];
  zeros report_cells[];
  zeros_daily report_cells_daily[];
BEGIN
  SELECT array_agg(ROW(level, x, y, day, state, category_id, n)::report_cells_daily
                   ORDER BY level, x, y, day, state, category_id)
    INTO deltas
    FROM (SELECT l.level, report_tile_x(c.web_point, l.level) AS x,
                 report_tile_y(c.web_point, l.level) AS y, report_day(c.created_at) AS day,
                 c.state, c.category_id, sum(c.n)::integer AS n
            FROM unnest(changes) AS c CROSS JOIN unnest(report_cell_levels()) AS l(level)
           GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(c.n) <> 0) AS grouped;
  IF deltas IS NULL THEN
    RETURN;
  END IF;
  WITH up AS (
    INSERT INTO report_cells AS t (level, x, y, state, category_id, n)
    SELECT d.level, d.x, d.y, d.state, d.category_id, sum(d.n)
      FROM unnest(deltas) AS d
     GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (level, x, y, state, category_id) DO UPDATE SET n = t.n + EXCLUDED.n
    RETURNING t.*)
  SELECT array_agg(ROW(up.*)::report_cells) FILTER (WHERE up.n <= 0) INTO zeros FROM up;
  WITH up AS (
    INSERT INTO report_cells_daily AS t (level, x, y, day, state, category_id, n)
    SELECT d.level, d.x, d.y, d.day, d.state, d.category_id, d.n FROM unnest(deltas) AS d
    ON CONFLICT (level, x, y, day, state, category_id) DO UPDATE SET n = t.n + EXCLUDED.n
    RETURNING t.*)
  SELECT array_agg(ROW(up.*)::report_cells_daily) FILTER (WHERE up.n <= 0)
    INTO zeros_daily FROM up;
  DELETE FROM report_cells AS t USING unnest(zeros) AS z
   WHERE (t.level, t.x, t.y, t.state, t.category_id)
       = (z.level, z.x, z.y, z.state, z.category_id) AND t.n = 0;
  DELETE FROM report_cells_daily AS t USING unnest(zeros_daily) AS z
   WHERE (t.level, t.x, t.y, t.day, t.state, t.category_id)
       = (z.level, z.x, z.y, z.day, z.state, z.category_id) AND t.n = 0;
END $$;
"""

# One function for the three triggers: an UPDATE counts only the rows whose state, category,
# place or creation day changed (the others leave and come back to the same key).
TRACK = """
CREATE FUNCTION report_cells_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM report_cells_apply(ARRAY(
      SELECT ROW(r.web_point, r.state, r.category_id, r.created_at, 1)::report_cell_change
        FROM new_rows AS r));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM report_cells_apply(ARRAY(
      SELECT ROW(r.web_point, r.state, r.category_id, r.created_at, -1)::report_cell_change
        FROM old_rows AS r));
  ELSE
    PERFORM report_cells_apply(ARRAY(
      SELECT ROW(r.web_point, r.state, r.category_id, r.created_at, 1)::report_cell_change
        FROM new_rows AS r
       WHERE NOT EXISTS (SELECT FROM old_rows AS o WHERE o.id = r.id AND o.state = r.state
             AND o.category_id = r.category_id AND o.created_at = r.created_at
             AND o.web_point = r.web_point)
      UNION ALL
      SELECT ROW(r.web_point, r.state, r.category_id, r.created_at, -1)::report_cell_change
        FROM old_rows AS r
       WHERE NOT EXISTS (SELECT FROM new_rows AS o WHERE o.id = r.id AND o.state = r.state
             AND o.category_id = r.category_id AND o.created_at = r.created_at
             AND o.web_point = r.web_point)));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION report_cells_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE report_cells, report_cells_daily;
  RETURN NULL;
END $$;

CREATE TRIGGER report_cells_insert AFTER INSERT ON reports
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_cells_track();
CREATE TRIGGER report_cells_update AFTER UPDATE ON reports
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_cells_track();
CREATE TRIGGER report_cells_delete AFTER DELETE ON reports
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_cells_track();
CREATE TRIGGER report_cells_truncate AFTER TRUNCATE ON reports
  FOR EACH STATEMENT EXECUTE FUNCTION report_cells_truncate();
"""

# The reports already there (reports.geo.cells.rebuild does the same from Python).
FILL = """
INSERT INTO report_cells_daily (level, x, y, day, state, category_id, n)
SELECT l.level, report_tile_x(r.web_point, l.level), report_tile_y(r.web_point, l.level),
       report_day(r.created_at), r.state, r.category_id, count(*)
  FROM reports AS r CROSS JOIN unnest(report_cell_levels()) AS l(level)
 GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO report_cells (level, x, y, state, category_id, n)
SELECT level, x, y, state, category_id, sum(n) FROM report_cells_daily GROUP BY 1, 2, 3, 4, 5;
"""


def _tables() -> None:
    def key() -> list[sa.Column[int]]:
        return [
            sa.Column("level", sa.SmallInteger(), nullable=False),
            sa.Column("x", sa.Integer(), nullable=False),
            sa.Column("y", sa.Integer(), nullable=False),
        ]

    def tail() -> list[sa.Column[object]]:
        return [
            sa.Column("state", sa.String(length=16), nullable=False),
            sa.Column("category_id", sa.Integer(), nullable=False),
            sa.Column("n", sa.Integer(), nullable=False),
        ]

    op.create_table(
        "report_cells",
        *key(),
        *tail(),
        sa.PrimaryKeyConstraint(
            "level", "x", "y", "state", "category_id", name=op.f("pk_report_cells")
        ),
    )
    op.create_table(
        "report_cells_daily",
        *key(),
        sa.Column("day", sa.Date(), nullable=False),
        *tail(),
        sa.PrimaryKeyConstraint(
            "level", "x", "y", "day", "state", "category_id", name=op.f("pk_report_cells_daily")
        ),
    )


def upgrade() -> None:
    op.add_column(
        "reports",
        sa.Column(
            "web_point",
            Geometry("POINT", srid=3857, spatial_index=False),
            sa.Computed("ST_Transform(location, 3857)", persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_reports_web_point", "reports", ["web_point"], unique=False, postgresql_using="gist"
    )
    _tables()
    op.execute(FUNCTIONS)
    op.execute(APPLY)
    op.execute(TRACK)
    op.execute(FILL)


def downgrade() -> None:
    for name in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER report_cells_{name} ON reports")
    op.execute("DROP FUNCTION report_cells_truncate()")
    op.execute("DROP FUNCTION report_cells_track()")
    op.execute("DROP FUNCTION report_cells_apply(report_cell_change[])")
    op.execute("DROP TYPE report_cell_change")
    op.execute("DROP FUNCTION report_day(timestamptz)")
    op.execute("DROP FUNCTION report_tile_y(geometry, integer)")
    op.execute("DROP FUNCTION report_tile_x(geometry, integer)")
    op.execute("DROP FUNCTION report_cell_levels()")
    op.drop_table("report_cells_daily")
    op.drop_table("report_cells")
    op.drop_index("ix_reports_web_point", table_name="reports", postgresql_using="gist")
    op.drop_column("reports", "web_point")
