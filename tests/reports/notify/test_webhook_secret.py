"""An agency's webhook secret (in its contacts) is kept through the routing admin pages and never
shown, exported or written to the audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.auth.models import Role
from routing.models import Agency, RoutingAudit
from tests.conftest import MakeUser, csrf_from, sign_in

SECRET = "a-webhook-secret-nobody-may-read"


def test_the_webhook_secret_survives_an_edit_and_is_never_shown(
    client: TestClient, dbs: Session, make_user: MakeUser
) -> None:
    agency = dbs.scalar(select(Agency).where(Agency.code == "dl-vungtau"))
    assert agency is not None
    agency.contacts = {"email": "dl@example.vn", "webhook": "https://dl.example.vn/hook"} | {
        "webhook_secret": SECRET
    }
    dbs.flush()
    make_user("quan-tri", Role.admin)
    sign_in(client, "quan-tri")
    page = client.get("/admin/routing/agencies/dl-vungtau")
    assert page.status_code == 200 and SECRET not in page.text
    form = {
        "csrf_token": csrf_from(client, "/admin/routing/agencies/dl-vungtau"),
        "code": "dl-vungtau",
        "name": "Điện lực Vũng Tàu (đổi tên)",
        "kind": "power",
        "parent": "pc-brvt",
        "email": "dl@example.vn",
        "webhook": "https://dl.example.vn/hook",
        "active": "on",
    }
    saved = client.post("/admin/routing/agencies/dl-vungtau", data=form, follow_redirects=False)
    assert saved.status_code == 303
    dbs.refresh(agency)
    assert agency.contacts["webhook_secret"] == SECRET
    audits = dbs.scalars(select(RoutingAudit).where(RoutingAudit.entity_key == "dl-vungtau"))
    assert all(SECRET not in repr((a.before, a.after)) for a in audits)
    export = client.get("/admin/routing/export.yaml")
    assert export.status_code == 200 and SECRET not in export.text
