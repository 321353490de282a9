from __future__ import annotations

from tests.fake_google.helpers import FOLDER, MERCHANT


def test_connect_and_about(fake_google, drive):
    about = drive.about().get(fields="user").execute()
    assert about["user"]["emailAddress"] == MERCHANT
    folder = drive.files().create(body={"name": "BaseLinker Backup", "mimeType": FOLDER}).execute()
    assert folder["kind"] == "drive#file"
    listed = drive.files().list(q="trashed = false", fields="files(id,name)").execute()
    assert listed == {"files": [{"id": folder["id"], "name": "BaseLinker Backup"}]}
