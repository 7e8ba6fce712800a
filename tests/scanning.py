"""Test helpers for malware scanning: the local stand-in (scripts/malware_scanner.py) over moto's
bucket, delivering GuardDuty's event to the app's handler through Chalice's test client, exactly as
EventBridge invokes the function."""
from __future__ import annotations

import io
import zipfile

BUCKET = "eservices-test-attachments"
REGION = "eu-north-1"


def s3():
    import boto3

    return boto3.client("s3", region_name=REGION)


def deliver(event: dict):
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        return test_client.lambda_.invoke("malware_scan_result", event).payload


def scanner():
    from scripts.malware_scanner import Scanner

    return Scanner(s3(), BUCKET, REGION, deliver_event=deliver)


def result_event(key: str, status: str, **kwargs) -> dict:
    from scripts.malware_scanner import scan_result_event

    return scan_result_event(BUCKET, key, status, region=REGION, **kwargs)


def tag(key: str, status: str) -> None:
    """What GuardDuty does to the object, without its event (the event was lost)."""
    s3().put_object_tagging(Bucket=BUCKET, Key=key, Tagging={"TagSet": [{"Key": "GuardDutyMalwareScanStatus",
                                                                         "Value": status}]})


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal DOCX (a ZIP with word/document.xml), optionally with more members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document>Rokotustodistus</w:document>')
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()
