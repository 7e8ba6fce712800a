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


def _statements_by_function(template: dict) -> dict[str, list]:
    roles = {k: v["Properties"]["Role"]["Fn::GetAtt"][0]
             for k, v in resources(template, "AWS::Serverless::Function").items()}
    by_role: dict[str, list] = {}
    for policy in resources(template, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            by_role.setdefault(role["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    # A role per function; the two maintenance jobs (the nightly retention run and the malware scan
    # check, which reads what the retention run deletes) share the scheduled role.
    shared = {"DailyRetention", "MalwareScanWatch"}
    assert roles["DailyRetention"] == roles["MalwareScanWatch"]
    assert len({r for f, r in roles.items() if f not in shared}) == len(roles) - len(shared), "a role per function"
    assert roles["DailyRetention"] not in {r for f, r in roles.items() if f not in shared}
    return {function: by_role.get(role, []) for function, role in roles.items()}


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_notification_worker_sends_and_sms_is_all_sns_may_do(templates, stage):
    by_function = _statements_by_function(templates[stage])
    for function in ("APIHandler", "NotificationSweep", "DailyRetention", "MalwareScanWatch", "MalwareScanResult"):
        actions = {a for s in by_function[function] for a in _listify(s["Action"])}
        assert not {a for a in actions if a.startswith(("ses:", "sns:"))}, function
    sweep = by_function["NotificationWorker"]
    ses = [s for s in sweep if "ses:SendRawEmail" in _listify(s["Action"])]
    assert ses and all("*" not in _listify(s["Resource"]) for s in ses)
    senders = [s["Condition"]["StringEquals"]["ses:FromAddress"] for s in ses if "Condition" in s]
    assert senders and all(sender.startswith("no-reply@") for sender in senders)
    sns_allow = [s for s in sweep if s["Effect"] == "Allow" and "sns:Publish" in _listify(s["Action"])]
    sns_deny = [s for s in sweep if s["Effect"] == "Deny" and "sns:Publish" in _listify(s["Action"])]
    assert sns_allow and sns_deny, "publishing to a phone number only: every topic is denied"


@pytest.mark.parametrize("stage", STAGES)
def test_the_notification_queue_its_dead_letters_workers_and_least_privilege(templates, stage):
    from chalicelib.notifications import fanout
    from infra.stages import stage_settings

    template = templates[stage]
    app_settings = stage_settings(stage).app_settings()
    queues = resources(template, "AWS::SQS::Queue")
    (queue_id, queue), = [(k, v) for k, v in queues.items() if "RedrivePolicy" in v["Properties"]]
    (dead_id, dead), = [(k, v) for k, v in queues.items() if k != queue_id]
    assert queue["Properties"]["QueueName"] == f"eservices-{stage}-notifications"
    assert dead["Properties"]["QueueName"] == f"eservices-{stage}-notifications-dead"
    assert queue["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_id, "Arn"]}, "maxReceiveCount": fanout.MAX_RECEIVES}
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())
    functions = resources(template, "AWS::Serverless::Function")
    worker = functions["NotificationWorker"]["Properties"]
    assert queue["Properties"]["VisibilityTimeout"] > worker["Timeout"]
    (event,) = worker["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["Queue"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert event["Properties"]["BatchSize"] == 1
    concurrency = app_settings.notification_worker_concurrency
    assert event["Properties"]["ScalingConfig"] == {"MaximumConcurrency": concurrency}
    assert worker["ReservedConcurrentExecutions"] == concurrency
    for name in ("NotificationSweep", "NotificationWorker"):
        variables = functions[name]["Properties"]["Environment"]["Variables"]
        assert variables["PORTAL_NOTIFICATION_QUEUE_URL"] == {"Ref": queue_id}

    by_function = _statements_by_function(template)
    planner = [s for s in by_function["NotificationSweep"]
               if s["Effect"] == "Allow" and not _listify(s["Action"])[0].startswith("logs:")]
    assert planner == [{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": {"Fn::GetAtt": [queue_id, "Arn"]}}]
    allowed = {}
    for statement in by_function["NotificationWorker"]:
        if statement["Effect"] == "Allow":
            for action in _listify(statement["Action"]):
                allowed.setdefault(action, []).extend(_listify(statement["Resource"]))
    assert sorted(a for a in allowed if a.startswith("sqs:")) == [
        "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage"]
    assert sorted(a for a in allowed if a.startswith("dynamodb:")) == [
        "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:UpdateItem"]
    tables = {k: v["Properties"]["TableName"] for k, v in resources(template, "AWS::DynamoDB::Table").items()}

    def named(resources_):
        return {tables[r["Fn::GetAtt"][0]] if "Fn::GetAtt" in r else tables[r["Fn::Join"][1][0]["Fn::GetAtt"][0]]
                for r in resources_}

    assert named(allowed["dynamodb:UpdateItem"] + allowed["dynamodb:Query"]) == {
        f"eservices-{stage}-profiles", f"eservices-{stage}-submissions"}
    # A claimed page is read back (sweep.claim_page): the profiles only.
    assert named(allowed["dynamodb:BatchGetItem"]) == {f"eservices-{stage}-profiles"}
    assert not [a for a in allowed if a.startswith(("s3:", "secretsmanager:"))]

    alarms = resources(template, "AWS::CloudWatch::Alarm")
    on_queues = {(m["MetricStat"]["Metric"]["MetricName"], m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]):
                 a["Properties"]["Threshold"] for a in alarms.values() for m in a["Properties"].get("Metrics", [])
                 if "MetricStat" in m and m["MetricStat"]["Metric"]["Namespace"] == "AWS/SQS"}
    assert on_queues == {("ApproximateNumberOfMessagesVisible", dead_id): 1,
                         ("ApproximateAgeOfOldestMessage", queue_id): 3600}
    assert set(functions["NotificationWorker"]["DependsOn"]) >= {
        k for k in resources(template, "AWS::IAM::Policy") if k.startswith("WorkerRoleDefaultPolicy")}


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
        # Every function knows the profile service: prod has no stand-in to fall back to.
        assert variables["PORTAL_PROFILE_API_URL"].startswith("https://")
        if stage == "prod":
            assert "/dev-profile/" not in variables["PORTAL_PROFILE_API_URL"]
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
    assert {"APIHandler", "NotificationSweep", "NotificationWorker", "DailyRetention", "MalwareScanWatch",
            "MalwareScanResult"} <= set(functions)
    timeouts = {"APIHandler": 29, "NotificationSweep": 60, "NotificationWorker": 900, "DailyRetention": 900,
                "MalwareScanWatch": 900, "MalwareScanResult": 29}
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.11" and props["MemorySize"] == 1024
        if name == "DeliveryFeedback":  # event-driven (SNS), not scheduled: see test_delivery_feedback_*
            continue
        assert props["Timeout"] == timeouts[name]
        if name == "MalwareScanResult":
            assert [e["Type"] for e in props["Events"].values()] == ["CloudWatchEvent"]
        elif name in ("NotificationSweep", "DailyRetention", "MalwareScanWatch"):
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
    for function in ("APIHandler", "NotificationSweep", "NotificationWorker", "DailyRetention", "MalwareScanWatch",
                     "MalwareScanResult"):
        assert any(n.startswith(f"{function}Errors") for n in names), function
        assert any(n.startswith(f"{function}Throttles") for n in names), function
    assert any(n.startswith("Api5xx") for n in names)
    metric_names = {a["Properties"].get("MetricName") for a in alarms.values()} | {
        m["MetricStat"]["Metric"]["MetricName"]
        for a in alarms.values() for m in a["Properties"].get("Metrics", []) if "MetricStat" in m}
    assert {"5XXError", observability.NOTIFICATIONS_FAILED, observability.SCHEDULED_FAILURES,
            observability.MALWARE_SCANS_OVERDUE, observability.MALWARE_THREATS_FOUND,
            observability.MALWARE_SCAN_PROBLEMS} <= metric_names
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


def _role_statements(template: dict, role_id: str) -> list[dict]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_guardduty_scans_and_tags_the_attachments_with_the_documented_role(templates, stage):
    template = templates[stage]
    (bucket_id,) = resources(template, "AWS::S3::Bucket")
    (plan,) = resources(template, "AWS::GuardDuty::MalwareProtectionPlan").values()
    props = plan["Properties"]
    assert props["ProtectedResource"]["S3Bucket"] == {"BucketName": {"Ref": bucket_id}, "ObjectPrefixes": ["attachments/"]}
    assert props["Actions"] == {"Tagging": {"Status": "ENABLED"}}
    role_id = props["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "malware-protection-plan.guardduty.amazonaws.com"}
    (policy_id,) = plan["DependsOn"]  # GuardDuty validates the plan's permissions when it is created
    assert template["Resources"][policy_id]["Properties"]["Roles"] == [{"Ref": role_id}]
    by_sid = {s["Sid"]: s for s in _role_statements(template, role_id)}
    assert set(by_sid) == {"AllowManagedRuleToSendS3EventsToGuardDuty", "AllowGuardDutyToMonitorEventBridgeManagedRule",
                           "AllowPostScanTag", "AllowEnableS3EventBridgeEvents", "AllowPutValidationObject",
                           "AllowCheckBucketOwnership", "AllowMalwareScan"}
    assert "s3:PutObjectTagging" in by_sid["AllowPostScanTag"]["Action"]
    assert by_sid["AllowManagedRuleToSendS3EventsToGuardDuty"]["Condition"] == {
        "StringLike": {"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}}
    assert "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*" in json.dumps(
        by_sid["AllowManagedRuleToSendS3EventsToGuardDuty"]["Resource"])
    # Nobody but the scanner reads a file whose tag is not NO_THREATS_FOUND.
    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
    (deny,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "ReadOnlyFilesScannedClean"]
    assert deny["Effect"] == "Deny" and "s3:GetObject" in deny["Action"]
    assert deny["Condition"]["StringNotEquals"] == {"s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"}
    assert deny["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": {"Fn::GetAtt": [role_id, "Arn"]}}


@pytest.mark.parametrize("stage", STAGES)
def test_scan_results_reach_their_handler_for_this_bucket_only(templates, stage):
    template = templates[stage]
    (bucket_id,) = resources(template, "AWS::S3::Bucket")
    function = resources(template, "AWS::Serverless::Function")["MalwareScanResult"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Properties"]["Pattern"] == {
        "source": ["aws.guardduty"], "detail-type": ["GuardDuty Malware Protection Object Scan Result"],
        "detail": {"s3ObjectDetails": {"bucketName": [{"Ref": bucket_id}]}}}
    role_id = function["Role"]["Fn::GetAtt"][0]
    actions = {a for s in _role_statements(template, role_id) for a in _listify(s["Action"])}
    assert actions == {"dynamodb:GetItem", "dynamodb:PutItem", "logs:CreateLogStream", "logs:PutLogEvents"}


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


# --- delivery feedback (issue 18) -----------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_delivery_feedback_ses_events_reach_the_handler_through_the_stacks_topic(templates, stage):
    template = templates[stage]
    environment = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][stage]["environment_variables"]
    topics = resources(template, "AWS::SNS::Topic")
    topic_id, topic = next((k, v) for k, v in topics.items()
                           if v["Properties"].get("TopicName") == environment["PORTAL_DELIVERY_FEEDBACK_TOPIC"])
    (config_set,) = resources(template, "AWS::SES::ConfigurationSet").values()
    assert config_set["Properties"]["Name"] == environment["PORTAL_NOTIFICATION_CONFIGURATION_SET"]
    (destination,) = resources(template, "AWS::SES::ConfigurationSetEventDestination").values()
    event_destination = destination["Properties"]["EventDestination"]
    assert sorted(event_destination["MatchingEventTypes"]) == ["bounce", "complaint", "reject"]
    assert event_destination["SnsDestination"]["TopicARN"] == {"Ref": topic_id}
    # Only SES, for this account, may publish to the topic.
    policies = [p for p in resources(template, "AWS::SNS::TopicPolicy").values()
                if {"Ref": topic_id} in p["Properties"]["Topics"]]
    publishers = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]
                  if s["Effect"] == "Allow" and "sns:Publish" in _listify(s["Action"])]
    assert publishers and all(s["Principal"] == {"Service": "ses.amazonaws.com"} for s in publishers)
    assert all("AWS:SourceAccount" in s["Condition"]["StringEquals"] for s in publishers)
    # The handler subscribes to that topic by reference and runs with a role of its own.
    function = template["Resources"]["DeliveryFeedback"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Type"] == "SNS" and event["Properties"]["Topic"] == {"Ref": topic_id}
    assert function["Timeout"] == 29


@pytest.mark.parametrize("stage", STAGES)
def test_delivery_feedback_least_privilege(templates, stage):
    template = templates[stage]
    roles = {k: v["Properties"]["Role"]["Fn::GetAtt"][0]
             for k, v in resources(template, "AWS::Serverless::Function").items()}
    feedback_role = roles["DeliveryFeedback"]
    assert feedback_role not in (roles["APIHandler"], roles["NotificationSweep"])
    by_role: dict[str, list] = {}
    for policy in resources(template, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            by_role.setdefault(role["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    actions = sorted(a for s in by_role[feedback_role] for a in _listify(s["Action"]))
    assert actions == ["dynamodb:GetItem", "dynamodb:UpdateItem", "logs:CreateLogStream", "logs:PutLogEvents"]
    dynamo = next(s for s in by_role[feedback_role] if "dynamodb:UpdateItem" in _listify(s["Action"]))
    profiles = next(k for k, v in resources(template, "AWS::DynamoDB::Table").items()
                    if v["Properties"]["TableName"].endswith("-profiles"))
    assert _listify(dynamo["Resource"]) == [{"Fn::GetAtt": [profiles, "Arn"]}]
    # The notification worker may send through the configuration set and ask about opted-out numbers.
    sweep_actions = {a for s in by_role[roles["NotificationWorker"]] for a in _listify(s["Action"])}
    assert "sns:CheckIfPhoneNumberIsOptedOut" in sweep_actions
    config_set_grants = [s for s in by_role[roles["NotificationWorker"]] if "ses:SendRawEmail" in _listify(s["Action"])
                         and "configuration-set" in json.dumps(s["Resource"])]
    assert config_set_grants


@pytest.mark.parametrize("stage", STAGES)
def test_delivery_feedback_alarms(templates, stage):
    alarms = resources(templates[stage], "AWS::CloudWatch::Alarm")
    metrics = {(a["Properties"].get("Namespace"), a["Properties"].get("MetricName")): a["Properties"]
               for a in alarms.values()}
    bounce = metrics[("AWS/SES", "Reputation.BounceRate")]
    complaint = metrics[("AWS/SES", "Reputation.ComplaintRate")]
    assert 0 < bounce["Threshold"] < 0.05 and 0 < complaint["Threshold"] < 0.001
    assert any(n.startswith("DeliveryFeedbackErrors") for n in alarms)
