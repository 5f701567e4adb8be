"""Live updates: every new report event is announced with NOTIFY on the channel ``ioc_reports``.

A statement-level trigger reads the inserted events from its transition table and sends them in
notifications of at most ``LIVE_CHUNK`` events each (a payload must stay under 8000 bytes: the
ward name is cut to 60 characters, so ten events stay under ~6 KB). A statement that inserts more
than ``LIVE_BULK`` events (the demo-data generator copies a million in one) sends one small
"bulk" notice instead, and the dashboards refresh. NOTIFY is delivered on commit, so a change
that is rolled back is never announced.

``report_event_live(...)`` builds one event's message; the server's replay after a reconnection
(``Last-Event-ID``) calls it too, so the live and the replayed messages are the same.

Revision ID: 0010_live
Revises: 0009_notify
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_live"
down_revision: str | None = "0009_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_MESSAGE = """
CREATE FUNCTION report_event_live(
    event_id bigint, event_report_id integer, event_action text, event_from text,
    event_to text, event_at timestamptz
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', event_id,
        'code', r.tracking_code,
        'state', event_to,
        'from_state', event_from,
        'action', event_action,
        'category', c.code,
        'ward', left(w.name, 60),
        'ward_code', w.code,
        'agency', a.code,
        'priority', r.priority,
        'lat', round(ST_Y(r.location)::numeric, 6),
        'lon', round(ST_X(r.location)::numeric, 6),
        'overdue', r.overdue,
        'at', event_at
    )
    FROM reports r
    JOIN categories c ON c.id = r.category_id
    LEFT JOIN jurisdictions w ON w.id = r.ward_id
    LEFT JOIN agencies a ON a.id = r.agency_id
    WHERE r.id = event_report_id
$$;
"""

NOTIFY = """
CREATE FUNCTION report_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    inserted bigint;
    payload text;
BEGIN
    SELECT count(*) INTO inserted FROM (SELECT 1 FROM new_events LIMIT 201) AS counted;
    IF inserted > 200 THEN  -- LIVE_BULK: a bulk load; the dashboards refresh instead
        PERFORM pg_notify('ioc_reports', json_build_object('bulk', true)::text);
        RETURN NULL;
    END IF;
    FOR payload IN
        SELECT jsonb_build_object('events', jsonb_agg(message ORDER BY id))::text
        FROM (
            SELECT e.id, (row_number() OVER (ORDER BY e.id) - 1) / 10 AS chunk,  -- LIVE_CHUNK
                report_event_live(e.id, e.report_id, e.action, e.from_state, e.to_state, e.at)
                    AS message
            FROM new_events e
        ) AS messages
        WHERE message IS NOT NULL
        GROUP BY chunk
        ORDER BY chunk
    LOOP
        PERFORM pg_notify('ioc_reports', payload);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER report_events_live AFTER INSERT ON report_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION report_events_notify();
"""


def upgrade() -> None:
    op.execute(EVENT_MESSAGE)
    op.execute(NOTIFY)


def downgrade() -> None:
    op.execute("DROP TRIGGER report_events_live ON report_events")
    op.execute("DROP FUNCTION report_events_notify()")
    op.execute("DROP FUNCTION report_event_live(bigint, integer, text, text, text, timestamptz)")
