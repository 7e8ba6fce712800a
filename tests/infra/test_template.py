"""What the synthesized stacks promise besides the tables: a private bucket, least-privilege roles,
secrets by reference, API Gateway's binary types and 404s, log retention, alarms and a dashboard;
and cfn-lint's verdict on them: no error, no warning."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import observability
from tests.infra.conftest import ROOT, STAGES, resources

DATA_SERVICES = ("dynamodb:", "s3:", "ses:", "secretsmanager:", "ssm:", "kms:")


def _listify(value):
    return value if isinstance(value, list) else [value]


def statements(template: dict) -> list[dict]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        found += policy["Properties"]["PolicyDocument"]["Statement"]
    for role in resources(template, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            found += policy["PolicyDocument"]["Statement"]
        assert not role["Properties"].get("ManagedPolicyArns"), "no managed policies (they grant on '*')"
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_no_data_action_on_every_resource(templates, stage):
    for statement in statements(templates[stage]):
        actions = _listify(statement["Action"])
        if statement["Effect"] == "Allow" and any(a.startswith(DATA_SERVICES) for a in actions):
            assert "*" not in _listify(statement["Resource"]), statement
        assert not any(a.endswith(":*") or a == "*" for a in actions), statement
        assert "dynamodb:Scan" not in actions


@pytest.mark.parametrize("stage", STAGES)
def test_the_audit_trail_is_append_only(templates, stage):
    template = templates[stage]
    audit = next(k for k, v in resources(template, "AWS::DynamoDB::Table").items()
                 if v["Properties"]["TableName"].endswith("-audit"))
    on_audit = [s for s in statements(template) if s["Effect"] == "Allow"
                and any(isinstance(r, dict) and json.dumps(r).find(f'"{audit}"') >= 0 for r in _listify(s["Resource"]))]
    assert on_audit
    for statement in on_audit:
        assert sorted(_listify(statement["Action"])) == ["dynamodb:PutItem", "dynamodb:Query"]


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_scheduled_functions_send_and_sms_is_all_sns_may_do(templates, stage):
    template = templates[stage]
    roles = {k: v["Properties"]["Role"]["Fn::GetAtt"][0]
             for k, v in resources(template, "AWS::Serverless::Function").items()}
    assert roles["APIHandler"] != roles["NotificationSweep"]
    by_role: dict[str, list] = {}
    for policy in resources(template, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            by_role.setdefault(role["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    api_actions = {a for s in by_role[roles["APIHandler"]] for a in _listify(s["Action"])}
    assert not {a for a in api_actions if a.startswith(("ses:", "sns:"))}
    sweep = by_role[roles["NotificationSweep"]]
    ses = [s for s in sweep if "ses:SendRawEmail" in _listify(s["Action"])]
    assert ses and all("*" not in _listify(s["Resource"]) for s in ses)
    assert ses[0]["Condition"]["StringEquals"]["ses:FromAddress"].startswith("no-reply@")
    sns_allow = [s for s in sweep if s["Effect"] == "Allow" and "sns:Publish" in _listify(s["Action"])]
    sns_deny = [s for s in sweep if s["Effect"] == "Deny" and "sns:Publish" in _listify(s["Action"])]
    assert sns_allow and sns_deny, "publishing to a phone number only: every topic is denied"


@pytest.mark.parametrize("stage", STAGES)
def test_the_attachments_bucket_is_private(templates, stage):
    template = templates[stage]
    (bucket_id, bucket), = resources(template, "AWS::S3::Bucket").items()
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] \
        == {"SSEAlgorithm": "AES256"}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false" for s in denies)
    if stage == "prod":
        assert bucket["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("stage", STAGES)
def test_secrets_are_references_never_values(templates, stage):
    from chalicelib.config import Settings

    text = json.dumps(templates[stage])
    for default in (Settings().oidc_client_secret, Settings().identity_pepper, Settings().authorizations_checksum_key,
                    Settings().authorizations_oauth_secret):
        assert default not in text
    for function in resources(templates[stage], "AWS::Serverless::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        for name in ("PORTAL_OIDC_CLIENT_SECRET", "PORTAL_IDENTITY_PEPPER", "PORTAL_AUTHORIZATIONS_CHECKSUM_KEY",
                     "PORTAL_AUTHORIZATIONS_OAUTH_SECRET"):
            assert "{{resolve:secretsmanager:" in json.dumps(variables[name]), name
    # The app's secret (the pepper keys every profile) and e-Authorizations' (issue 17), both kept
    secrets = resources(templates[stage], "AWS::SecretsManager::Secret").values()
    assert len(secrets) == 2 and all(secret["DeletionPolicy"] == "Retain" for secret in secrets)


@pytest.mark.parametrize("stage", STAGES)
def test_api_gateway_passes_forms_as_binary_and_answers_404_for_unknown_paths(templates, stage):
    api = templates[stage]["Resources"]["RestAPI"]["Properties"]
    body = api["DefinitionBody"]
    assert "multipart/form-data" in body["x-amazon-apigateway-binary-media-types"]
    # The receipt's PDF reaches a browser as bytes (its first Accept type is text/html: docs/receipt.md).
    assert {"application/pdf", "*/*"} <= set(body["x-amazon-apigateway-binary-media-types"])
    missing = body["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == 404
    assert api["Name"] == f"city-eservices-{stage}" and api["StageName"] == "api"
    dev_idp = [p for p in body["paths"] if p.startswith("/dev-idp")]
    assert bool(dev_idp) == (stage == "dev")
    stand_in = [p for p in body["paths"] if p.startswith("/dev-authorizations")]
    assert bool(stand_in) == (stage == "dev")  # the e-Authorizations stand-in: never in prod


@pytest.mark.parametrize("stage", STAGES)
def test_functions_log_groups_and_schedules(templates, stage):
    template = templates[stage]
    functions = resources(template, "AWS::Serverless::Function")
    assert {"APIHandler", "NotificationSweep", "DailyRetention"} <= set(functions)
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.11" and props["MemorySize"] == 1024
        assert props["Timeout"] == (29 if name == "APIHandler" else 900)
        if name != "APIHandler":
            assert any(e["Type"] == "Schedule" for e in props["Events"].values())
    groups = resources(template, "AWS::Logs::LogGroup")
    retention = {"dev": 30, "prod": 365}[stage]
    assert sorted(g["Properties"]["LogGroupName"]["Fn::Join"][1][1]["Ref"] for g in groups.values()) == sorted(functions)
    assert all(g["Properties"]["RetentionInDays"] == retention for g in groups.values())


@pytest.mark.parametrize("stage", STAGES)
def test_alarms_and_dashboard(templates, stage):
    template = templates[stage]
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    names = set(alarms)
    for function in ("APIHandler", "NotificationSweep", "DailyRetention"):
        assert any(n.startswith(f"{function}Errors") for n in names), function
        assert any(n.startswith(f"{function}Throttles") for n in names), function
    assert any(n.startswith("Api5xx") for n in names)
    metric_names = {a["Properties"].get("MetricName") for a in alarms.values()} | {
        m["MetricStat"]["Metric"]["MetricName"]
        for a in alarms.values() for m in a["Properties"].get("Metrics", []) if "MetricStat" in m}
    assert {"5XXError", observability.NOTIFICATIONS_FAILED, observability.SCHEDULED_FAILURES} <= metric_names
    tables = resources(template, "AWS::DynamoDB::Table")
    throttle_alarms = [n for n in names if n.startswith("Throttles")]
    assert len(throttle_alarms) == len(tables)
    topic = next(iter(resources(template, "AWS::SNS::Topic")))
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": topic}] for a in alarms.values())
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in (observability.SIGN_INS, observability.SUBMISSIONS_SENT, observability.STATUS_UPDATES,
                   observability.NOTIFICATIONS_SENT, observability.NOTIFICATIONS_FAILED):
        assert metric in body, metric


def _cfn_lint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), *map(str, paths)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_cfn_lint_finds_nothing(assembly, tmp_path):
    result = _cfn_lint(*(assembly / f"{stage}.template.json" for stage in STAGES))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    # ... and it does look: the same template with a mistake fails.
    broken = json.loads((assembly / "prod.template.json").read_text())
    table = next(iter(resources(broken, "AWS::DynamoDB::Table").values()))
    table["Properties"]["BillingMode"] = "FREE_OF_CHARGE"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    assert _cfn_lint(tmp_path / "broken.json").returncode != 0
