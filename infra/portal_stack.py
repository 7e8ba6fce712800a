"""One stage of the portal on AWS: the Chalice app (API, scheduled and event functions, the notification
worker), its tables, bucket (scanned by GuardDuty Malware Protection for S3), notification queue, secrets,
roles, alarms and dashboard."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from aws_cdk import (
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    aws_cloudwatch as cloudwatch,
    aws_cloudwatch_actions as cloudwatch_actions,
    aws_dynamodb as dynamodb,
    aws_guardduty as guardduty,
    aws_iam as iam,
    aws_logs as logs,
    aws_s3 as s3,
    aws_secretsmanager as secretsmanager,
    aws_ses as ses,
    aws_sns as sns,
    aws_sns_subscriptions as subscriptions,
    aws_sqs as sqs,
)
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib import observability
from infra import package
from infra.stages import StageSettings
from infra.tables import TableSpec, table_specs

API_FUNCTION = "APIHandler"  # Chalice's logical id of the function behind API Gateway
API_GATEWAY_STAGE = "api"
API_TIMEOUT_SECONDS = 29  # API Gateway waits at most 29 s
SCHEDULED_TIMEOUT_SECONDS = 900  # the nightly retention run
# --- notification fan-out (issue 18) ---
PLANNER_FUNCTION = "NotificationSweep"  # the hourly planner (app.notification_sweep)
WORKER_FUNCTION = "NotificationWorker"  # the queue's worker (app.notification_worker)
PLANNER_TIMEOUT_SECONDS = 60  # sixteen messages in two calls
WORKER_TIMEOUT_SECONDS = 900  # notification_budget_seconds (720) + one page's work
MEMORY_MB = 1024  # more memory is more CPU: the cold start is CPU bound
SCAN_RESULT_FUNCTION = "MalwareScanResult"  # the app's malware_scan_result: GuardDuty's scan result events
SCANNED_PREFIX = "attachments/"  # every stored file (chalicelib/forms/attachments.py)
GUARDDUTY_PLAN_PRINCIPAL = "malware-protection-plan.guardduty.amazonaws.com"
SCAN_TAG = "GuardDutyMalwareScanStatus"
BOUNCE_RATE_ALARM = 0.04  # delivery feedback (issue 18): SES's account review starts at 5 % ...
COMPLAINT_RATE_ALARM = 0.0008  # ... and at 0.1 % complaints


class PortalChalice(Chalice):
    """Chalice's CDK construct, packaging the staging copy of the project (infra/package.py) and then
    slimming the zip exactly as ``package.package_app`` does for the tests and the benchmark."""

    def _package_app(self):
        # Chalice asks botocore for service principals by region; no credentials are involved.
        os.environ.setdefault("AWS_DEFAULT_REGION", package.DEFAULT_REGION)
        super()._package_app()
        package.prune_cache()
        package.slim(Path(self._sam_package_dir) / "deployment.zip")
        self.sam_resources = json.loads((Path(self._sam_package_dir) / "sam.json").read_text())["Resources"]

    def functions(self) -> dict[str, dict]:
        return {k: v for k, v in self.sam_resources.items() if v["Type"] == "AWS::Serverless::Function"}

    def scheduled_functions(self) -> list[str]:
        return sorted(k for k, v in self.functions().items()
                      if any(e.get("Type") == "Schedule" for e in v["Properties"].get("Events", {}).values())
                      or k != API_FUNCTION and self._has_schedule_rule(k))

    def _has_schedule_rule(self, logical_id: str) -> bool:
        # Chalice describes a schedule either as the function's SAM event or as an events rule.
        for resource in self.sam_resources.values():
            if resource["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in resource["Properties"]:
                targets = resource["Properties"].get("Targets", [])
                if any(t.get("Arn", {}).get("Fn::GetAtt", [None])[0] == logical_id for t in targets):
                    return True
        return False


def _fresh_application(environment: dict) -> None:
    """Chalice's construct imports app.py (to read its routes and schedules) in this process, with the
    stage's variables set. Forget an app imported for another stage, so that what a stage deploys
    (e.g. the development identity provider's routes, never in prod) follows its own settings."""
    for name in list(sys.modules):
        if name == "app" or name == "chalicelib" or name.startswith("chalicelib."):
            del sys.modules[name]
    os.environ.update(environment)


_RETENTION = {30: "ONE_MONTH", 90: "THREE_MONTHS", 180: "SIX_MONTHS", 365: "ONE_YEAR", 731: "TWO_YEARS"}


def _retention(days: int):
    if days not in _RETENTION:
        raise ValueError(f"log retention: one of {sorted(_RETENTION)} days")
    return getattr(logs.RetentionDays, _RETENTION[days])


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


class PortalStack(Stack):
    def __init__(self, scope: Construct, stage: StageSettings, **kwargs):
        # The construct id is the Chalice stage's name: Chalice's construct packages the stage of that name.
        super().__init__(scope, stage.name, stack_name=stage.stack_name,
                         description=f"City e-services portal, stage {stage.name}", **kwargs)
        self.stage = stage
        _fresh_application(stage.environment)
        app_settings = stage.app_settings()
        removal = RemovalPolicy.RETAIN if stage.retain_data else RemovalPolicy.DESTROY

        self.specs = table_specs(app_settings)
        self.tables = {spec.name: self._table(spec, removal) for spec in self.specs}
        self.bucket = self._bucket(removal)
        secret = self._secret()
        authorizations_secret = self._authorizations_secret()
        alarm_topic = self._alarm_topic()

        self.api_role = self._role("ApiRole", "The portal's API function: pages and the division API")
        self.tasks_role = self._role("ScheduledRole", "The portal's scheduled functions: retention, the malware scan check")
        self._grant_data(self.api_role, s3_actions=("s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                                    "s3:GetObjectTagging"))
        self._grant_data(self.tasks_role, s3_actions=("s3:GetObject", "s3:DeleteObject", "s3:GetObjectTagging",
                                                      "s3:DeleteObjectVersion"))
        # The daily job deletes every version of a file with a threat (chalicelib/scanning).
        self.tasks_role.add_to_policy(iam.PolicyStatement(
            actions=["s3:ListBucketVersions"], resources=[self.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{SCANNED_PREFIX}*"]}}))
        self.scan_role = self._role("ScanResultRole", "The portal's GuardDuty scan result handler: the scans table only")
        scans = self.tables["scans"]
        self.scan_role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:GetItem", "dynamodb:PutItem"],
                                                         resources=[scans.table_arn]))
        self.malware_role, self.malware_plan = self._malware_protection()
        # --- notification fan-out (issue 18): the queue, and a role per function ---
        self.queue, self.dead_letters = self._notification_queues(app_settings)
        self.planner_role = self._role("PlannerRole", "The hourly notification planner: queues the shards")
        self.worker_role = self._role("WorkerRole", "The notification worker: notifies one shard's customers")
        self._grant_planning(self.planner_role)
        self._grant_notifying(self.worker_role)
        self._grant_sending(self.worker_role)
        # The worker's event source names the queue by ARN (app.py reads it when the construct imports
        # it): chalice.cdk cannot take the Fn::Sub that a queue name becomes (aws/chalice#1681, #1720).
        os.environ["PORTAL_NOTIFICATION_QUEUE_ARN"] = self.queue.queue_arn
        from chalicelib.config import settings

        settings.cache_clear()  # (the table specifications above read the settings once already)
        self._delivery_feedback_resources(app_settings)  # issue 18: configuration set, topic, role

        environment = {
            "PORTAL_ATTACHMENTS_BUCKET": self.bucket.bucket_name,
            "PORTAL_PUBLIC_BASE_URL": stage.public_base_url,
            "PORTAL_OIDC_ISSUER": stage.oidc_issuer,
            "PORTAL_OIDC_CLIENT_ID": stage.oidc_client_id,
            "PORTAL_OIDC_CLIENT_AUTH_METHOD": stage.oidc_client_auth_method,
            "PORTAL_OIDC_ID_TOKEN_ALGORITHMS": stage.oidc_id_token_algorithms,
            "PORTAL_PROFILE_API_URL": stage.profile_api_url,
            # Secrets Manager dynamic references: CloudFormation resolves them at deploy time, the
            # template and the repository never hold the values.
            "PORTAL_OIDC_CLIENT_SECRET": secret.secret_value_from_json("oidc_client_secret").unsafe_unwrap(),
            "PORTAL_IDENTITY_PEPPER": secret.secret_value_from_json("identity_pepper").unsafe_unwrap(),
            # Suomi.fi e-Authorizations (docs/acting-on-behalf.md): the checksum key and OAuth secret by reference.
            "PORTAL_AUTHORIZATIONS_BASE_URL": stage.authorizations_base_url,
            "PORTAL_AUTHORIZATIONS_CLIENT_ID": stage.authorizations_client_id,
            "PORTAL_AUTHORIZATIONS_CHECKSUM_KEY":
                authorizations_secret.secret_value_from_json("checksum_key").unsafe_unwrap(),
            "PORTAL_AUTHORIZATIONS_OAUTH_SECRET":
                authorizations_secret.secret_value_from_json("oauth_secret").unsafe_unwrap(),
            "PORTAL_NOTIFICATION_SENDER": stage.notification_sender,
            "PORTAL_NOTIFICATION_QUEUE_URL": self.queue.queue_url,
            "PORTAL_NOTIFICATION_QUEUE_ARN": self.queue.queue_arn,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        if stage.sms_sender_id:
            environment["PORTAL_NOTIFICATION_SMS_SENDER_ID"] = stage.sms_sender_id
        if stage.oidc_client_auth_method == "private_key_jwt":
            # The private key (a private JWK or PEM) under "oidc_private_key" in the same secret: add
            # it there before deploying with this method (docs/identity.md); its public half is /auth/jwks.
            environment["PORTAL_OIDC_PRIVATE_KEY"] = secret.secret_value_from_json("oidc_private_key").unsafe_unwrap()
        self.chalice = PortalChalice(
            self, "Portal", source_dir=str(package.stage_sources()),
            stage_config={
                "api_gateway_stage": API_GATEWAY_STAGE,
                "manage_iam_role": False,
                "iam_role_arn": self.api_role.role_arn,
                "lambda_memory_size": MEMORY_MB,
                "lambda_timeout": API_TIMEOUT_SECONDS,
                "environment_variables": environment,
                "tags": {"project": "city-eservices", "stage": stage.name},
            },
        )
        os.environ.pop("PORTAL_NOTIFICATION_QUEUE_ARN", None)  # never seen by another stage's app
        self.scheduled = self.chalice.scheduled_functions()
        for logical_id in self.scheduled:
            function = self.chalice.get_resource(logical_id)
            function.add_property_override("Role", self.tasks_role.role_arn)
            function.add_property_override("Timeout", SCHEDULED_TIMEOUT_SECONDS)
        self._route_scan_results()
        self._configure_notification_functions(app_settings)
        for logical_id in self.chalice.functions():
            # The functions' log groups, with their retention. (Chalice's own log_retention_in_days
            # names the API function's group after a logical id that its template does not have.)
            logs.LogGroup(
                self, f"{logical_id}Logs",
                log_group_name=f"/aws/lambda/{self.chalice.get_resource(logical_id).ref}",
                retention=_retention(stage.log_retention_days),
                removal_policy=removal,
            )
        self._configure_api()
        self._alarms_and_dashboard(alarm_topic)
        self._delivery_feedback_function(alarm_topic)  # issue 18: the handler, its subscription, alarms
        CfnOutput(self, "ApiUrl", value=self.api_url, description="The portal's address without a custom domain")
        CfnOutput(self, "AttachmentsBucket", value=self.bucket.bucket_name)
        CfnOutput(self, "SecretName", value=secret.secret_name,
                  description="oidc_client_secret (set it) and identity_pepper (generated; never change it)")

    # --- data -----------------------------------------------------------------------------------

    def _table(self, spec: TableSpec, removal: RemovalPolicy) -> dynamodb.Table:
        def attribute(key):
            return dynamodb.Attribute(name=key.name, type=dynamodb.AttributeType(
                {"S": "STRING", "N": "NUMBER", "B": "BINARY"}[key.type]))

        table = dynamodb.Table(
            self, f"Table{_camel(spec.name)}",
            table_name=spec.table_name(self.stage.table_prefix),
            partition_key=attribute(spec.hash_key),
            sort_key=attribute(spec.range_key) if spec.range_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=self.stage.retain_data,
            removal_policy=removal,
            time_to_live_attribute=spec.ttl_attribute,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=attribute(index.hash_key),
                sort_key=attribute(index.range_key) if index.range_key else None,
                projection_type=dynamodb.ProjectionType(index.projection),
                non_key_attributes=list(index.non_key_attributes) or None,
            )
        return table

    def _bucket(self, removal: RemovalPolicy) -> s3.Bucket:
        return s3.Bucket(
            self, "Attachments",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            removal_policy=removal,
            lifecycle_rules=[
                # A removed file (a draft's attachment taken away, a removed draft, a submission past
                # its retention) stays recoverable for 30 days as a noncurrent version, then is gone.
                s3.LifecycleRule(
                    id="removed-files", enabled=True,
                    noncurrent_version_expiration=Duration.days(30),
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
        )

    def _secret(self) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self, "AppSecrets",
            secret_name=f"{self.stage.stack_name}/app",
            description="oidc_client_secret: from the identity broker (dev: any value); identity_pepper: "
                        "generated once, never change it (every profile would become unreachable); "
                        "oidc_private_key: only with private_key_jwt (docs/identity.md)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"oidc_client_secret": "set-me"}),
                generate_string_key="identity_pepper",
                password_length=64,
                exclude_punctuation=True,
            ),
        )
        secret.apply_removal_policy(RemovalPolicy.RETAIN)  # losing the pepper loses every profile
        return secret

    def _malware_protection(self) -> tuple[iam.Role, guardduty.CfnMalwareProtectionPlan]:
        """GuardDuty Malware Protection for S3 on the attachments bucket: every new object under
        ``attachments/`` is scanned and tagged GuardDutyMalwareScanStatus; the result goes to EventBridge
        (``_route_scan_results``). The plan's role has the permissions AWS documents for it ("Create or
        update IAM role policy"), narrowed to this bucket and prefix; no KMS statement (SSE-S3)."""
        bucket = self.bucket
        role = iam.Role(
            self, "MalwareProtectionRole",
            assumed_by=iam.ServicePrincipal(GUARDDUTY_PLAN_PRINCIPAL, conditions={
                "StringEquals": {"aws:SourceAccount": self.account}}),
            description="GuardDuty Malware Protection for S3: scans and tags the attachments bucket's new objects",
        )
        managed_rule = self.format_arn(service="events", resource="rule",
                                       resource_name="DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*")
        role.add_to_policy(iam.PolicyStatement(
            sid="AllowManagedRuleToSendS3EventsToGuardDuty",
            actions=["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
            resources=[managed_rule],
            conditions={"StringLike": {"events:ManagedBy": GUARDDUTY_PLAN_PRINCIPAL}},
        ))
        role.add_to_policy(iam.PolicyStatement(
            sid="AllowGuardDutyToMonitorEventBridgeManagedRule",
            actions=["events:DescribeRule", "events:ListTargetsByRule"], resources=[managed_rule],
        ))
        role.add_to_policy(iam.PolicyStatement(
            sid="AllowPostScanTag",
            actions=["s3:PutObjectTagging", "s3:GetObjectTagging", "s3:PutObjectVersionTagging",
                     "s3:GetObjectVersionTagging"],
            resources=[bucket.arn_for_objects(f"{SCANNED_PREFIX}*")],
        ))
        role.add_to_policy(iam.PolicyStatement(
            sid="AllowEnableS3EventBridgeEvents",
            actions=["s3:PutBucketNotification", "s3:GetBucketNotification"], resources=[bucket.bucket_arn],
        ))
        role.add_to_policy(iam.PolicyStatement(
            sid="AllowPutValidationObject", actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects("malware-protection-resource-validation-object")],
        ))
        role.add_to_policy(iam.PolicyStatement(
            sid="AllowCheckBucketOwnership", actions=["s3:ListBucket"], resources=[bucket.bucket_arn],
        ))
        role.add_to_policy(iam.PolicyStatement(
            sid="AllowMalwareScan", actions=["s3:GetObject", "s3:GetObjectVersion"],
            resources=[bucket.arn_for_objects(f"{SCANNED_PREFIX}*")],
        ))
        plan = guardduty.CfnMalwareProtectionPlan(
            self, "MalwareProtectionPlan",
            role=role.role_arn,
            protected_resource=guardduty.CfnMalwareProtectionPlan.CFNProtectedResourceProperty(
                s3_bucket=guardduty.CfnMalwareProtectionPlan.S3BucketProperty(
                    bucket_name=bucket.bucket_name, object_prefixes=[SCANNED_PREFIX])),
            actions=guardduty.CfnMalwareProtectionPlan.CFNActionsProperty(
                tagging=guardduty.CfnMalwareProtectionPlan.CFNTaggingProperty(status="ENABLED")),
            tags=[guardduty.CfnMalwareProtectionPlan.TagItemProperty(key="project", value="city-eservices"),
                  guardduty.CfnMalwareProtectionPlan.TagItemProperty(key="stage", value=self.stage.name)],
        )
        # The role's policy exists before GuardDuty validates the plan (the role itself: by the GetAtt).
        plan.node.add_dependency(role.node.find_child("DefaultPolicy"))
        # Defence in depth (GuardDuty's "tag-based access control"): nobody but the scanner reads a file
        # unless its tag says NO_THREATS_FOUND, so a download link for any other file does not work either.
        bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="ReadOnlyFilesScannedClean", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
            actions=["s3:GetObject", "s3:GetObjectVersion"],
            resources=[bucket.arn_for_objects(f"{SCANNED_PREFIX}*")],
            conditions={
                "StringNotEquals": {f"s3:ExistingObjectTag/{SCAN_TAG}": "NO_THREATS_FOUND"},
                "ArnNotEquals": {"aws:PrincipalArn": role.role_arn},
            },
        ))
        return role, plan

    def _route_scan_results(self) -> None:
        """Chalice's rule for ``@app.on_cw_event`` (GuardDuty's "Object Scan Result" events), narrowed to
        this stage's bucket; the function gets its own role (the scans table only)."""
        function = self.chalice.get_resource(SCAN_RESULT_FUNCTION)
        events = self.chalice.functions()[SCAN_RESULT_FUNCTION]["Properties"]["Events"]
        (name,) = [k for k, v in events.items() if v["Type"] == "CloudWatchEvent"]
        function.add_property_override(f"Events.{name}.Properties.Pattern.detail",
                                       {"s3ObjectDetails": {"bucketName": [self.bucket.bucket_name]}})
        function.add_property_override("Role", self.scan_role.role_arn)

    def _authorizations_secret(self) -> secretsmanager.Secret:
        """Suomi.fi e-Authorizations: the checksum key of X-AsiointivaltuudetAuthorization and the OAuth
        secret, both given by the service at registration. In dev a generated key serves the bundled
        stand-in, which reads the same settings."""
        secret = secretsmanager.Secret(
            self, "AuthorizationsSecrets",
            secret_name=f"{self.stage.stack_name}/authorizations",
            description="checksum_key and oauth_secret: from Suomi.fi e-Authorizations (dev: generated)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"oauth_secret": "set-me"}),
                generate_string_key="checksum_key",
                password_length=64,
                exclude_punctuation=True,
            ),
        )
        secret.apply_removal_policy(RemovalPolicy.RETAIN)
        return secret

    # --- permissions ----------------------------------------------------------------------------

    def _role(self, construct_id: str, description: str) -> iam.Role:
        role = iam.Role(self, construct_id, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=description)
        # Logs only into this stage's function log groups (created by the template with their retention).
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.format_arn(service="logs", resource="log-group",
                                       resource_name=f"/aws/lambda/{self.stage.stack_name}-*:*",
                                       arn_format=_colon_resource_name())],
        ))
        return role

    def _grant_data(self, role: iam.Role, *, s3_actions: tuple[str, ...]) -> None:
        by_actions: dict[tuple[str, ...], list[str]] = {}
        for spec in self.specs:
            table = self.tables[spec.name]
            by_actions.setdefault(spec.actions, []).extend([table.table_arn, f"{table.table_arn}/index/*"])
        for actions, resources in by_actions.items():
            role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=resources))
        role.add_to_policy(iam.PolicyStatement(actions=list(s3_actions),
                                               resources=[self.bucket.arn_for_objects("attachments/*")]))

    def _grant_sending(self, role: iam.Role) -> None:
        sender = self.stage.notification_sender
        domain = sender.split("@", 1)[1]
        role.add_to_policy(iam.PolicyStatement(
            actions=["ses:SendRawEmail", "ses:SendEmail"],
            resources=[self.format_arn(service="ses", resource="identity", resource_name=domain),
                       self.format_arn(service="ses", resource="identity", resource_name=sender)],
            conditions={"StringEquals": {"ses:FromAddress": sender}},
        ))
        # Text messages go straight to a phone number, which has no ARN: SNS accepts only "*" for that.
        # Publishing to any topic is denied, so the permission is good for text messages only.
        role.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
        role.add_to_policy(iam.PolicyStatement(
            effect=iam.Effect.DENY, actions=["sns:Publish"],
            resources=[self.format_arn(service="sns", resource="*", account="*", region="*",
                                       arn_format=_bare_resource())],
        ))

    # --- delivery feedback (issue 18) ----------------------------------------------------------
    # SES publishes bounces, complaints and rejects of the notification e-mails (sent with the
    # configuration set) to a topic; the Chalice function delivery_feedback subscribes to it and may
    # only read and update profiles (chalicelib/notifications/feedback.py; docs/operations.md).

    def _delivery_feedback_resources(self, app_settings) -> None:
        self.feedback_topic = sns.Topic(
            self, "DeliveryFeedbackTopic", topic_name=app_settings.delivery_feedback_topic,
            display_name=f"{self.stage.stack_name} e-mail bounces and complaints", enforce_ssl=True)
        # Only SES of this account, for this configuration set, may publish to it.
        self.feedback_topic.add_to_resource_policy(iam.PolicyStatement(
            actions=["sns:Publish"], principals=[iam.ServicePrincipal("ses.amazonaws.com")],
            resources=[self.feedback_topic.topic_arn],
            conditions={"StringEquals": {"AWS:SourceAccount": self.account},
                        "StringLike": {"AWS:SourceArn": self.format_arn(
                            service="ses", resource="configuration-set",
                            resource_name=app_settings.notification_configuration_set)}},
        ))
        self.configuration_set = ses.CfnConfigurationSet(
            self, "NotificationConfigurationSet", name=app_settings.notification_configuration_set,
            reputation_options=ses.CfnConfigurationSet.ReputationOptionsProperty(reputation_metrics_enabled=True),
            sending_options=ses.CfnConfigurationSet.SendingOptionsProperty(sending_enabled=True),
        )
        destination = ses.CfnConfigurationSetEventDestination(
            self, "NotificationFeedbackDestination",
            configuration_set_name=app_settings.notification_configuration_set,
            event_destination=ses.CfnConfigurationSetEventDestination.EventDestinationProperty(
                name="bounces-complaints-rejects", enabled=True,
                matching_event_types=["bounce", "complaint", "reject"],
                sns_destination=ses.CfnConfigurationSetEventDestination.SnsDestinationProperty(
                    topic_arn=self.feedback_topic.topic_arn),
            ),
        )
        destination.add_dependency(self.configuration_set)
        # SES checks that it may publish to the topic when the destination is created: policy first.
        destination.node.add_dependency(self.feedback_topic.node.find_child("Policy"))
        # The notification worker sends through the configuration set: SES authorises that set as a resource too.
        self.worker_role.add_to_policy(iam.PolicyStatement(
            actions=["ses:SendRawEmail", "ses:SendEmail"],
            resources=[self.format_arn(service="ses", resource="configuration-set",
                                       resource_name=app_settings.notification_configuration_set)],
        ))
        # Opted-out numbers are checked before each text message; the action has no resource type.
        self.worker_role.add_to_policy(iam.PolicyStatement(
            actions=["sns:CheckIfPhoneNumberIsOptedOut"], resources=["*"]))
        self.feedback_role = self._role("DeliveryFeedbackRole",
                                        "The portal's delivery feedback: records bounces and complaints on profiles")
        profiles = self.tables["profiles"]
        self.feedback_role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:UpdateItem"], resources=[profiles.table_arn]))

    def _delivery_feedback_function(self, alarm_topic: sns.Topic) -> None:
        subscribed = {k: name for k, v in self.chalice.functions().items()
                      for name, e in v["Properties"].get("Events", {}).items() if e.get("Type") == "SNS"}
        (logical_id, event_name), = subscribed.items()
        self.feedback_function = logical_id
        function = self.chalice.get_resource(logical_id)
        function.add_property_override("Role", self.feedback_role.role_arn)
        # The topic of this stack by reference (Chalice names it by an ARN it builds from the name):
        # CloudFormation then creates the topic before the subscription.
        function.add_property_override(f"Events.{event_name}.Properties.Topic", self.feedback_topic.topic_arn)
        action = cloudwatch_actions.SnsAction(alarm_topic)

        def alarm(construct_id, metric, threshold, description):
            created = cloudwatch.Alarm(
                self, construct_id, metric=metric, threshold=threshold, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING, alarm_description=description)
            created.add_alarm_action(action)

        lambda_function = self.chalice.get_function(logical_id)
        alarm(f"{logical_id}Errors", lambda_function.metric_errors(period=Duration.minutes(15), statistic="Sum"), 3,
              f"{logical_id}: recording bounces and complaints failed (SNS retries; see its logs)")
        alarm(f"{logical_id}Throttles", lambda_function.metric_throttles(period=Duration.minutes(15), statistic="Sum"),
              1, f"{logical_id}: Lambda throttled invocations")
        # SES reviews an account at a 5 % bounce rate or a 0.1 % complaint rate and may pause sending at
        # 10 % / 0.5 %: the alarms ring well before a review.
        for name, metric_name, threshold in (("SesBounceRate", "Reputation.BounceRate", BOUNCE_RATE_ALARM),
                                             ("SesComplaintRate", "Reputation.ComplaintRate", COMPLAINT_RATE_ALARM)):
            alarm(name, cloudwatch.Metric(namespace="AWS/SES", metric_name=metric_name, statistic="Maximum",
                                          period=Duration.hours(1)), threshold,
                  f"SES {metric_name} at {threshold:.2%} or more: find the cause before SES reviews the account")

    # --- notification fan-out (issue 18) ----------------------------------------------------------

    def _notification_queues(self, app_settings) -> tuple[sqs.Queue, sqs.Queue]:
        """The planner's queue (one message per shard) and its dead-letter queue (a message whose
        worker failed MAX_RECEIVES times). Names as the local stack's (fanout.create_queues)."""
        from chalicelib.notifications import fanout

        name = app_settings.notification_queue_name
        dead = sqs.Queue(
            self, "NotificationDeadLetters", queue_name=f"{name}-dead",
            retention_period=Duration.seconds(fanout.DEAD_LETTER_RETENTION_SECONDS),
            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
        )
        queue = sqs.Queue(
            self, "NotificationQueue", queue_name=name,
            # Longer than the worker's timeout: a message is never handed to a second worker while the
            # first may still work on it.
            visibility_timeout=Duration.seconds(fanout.VISIBILITY_TIMEOUT_SECONDS),
            retention_period=Duration.days(1),  # the next hours' planners queue every shard again
            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead, max_receive_count=fanout.MAX_RECEIVES),
        )
        assert fanout.VISIBILITY_TIMEOUT_SECONDS > WORKER_TIMEOUT_SECONDS
        return queue, dead

    def _grant_planning(self, role: iam.Role) -> None:
        """The planner queues messages, and does nothing else (no table, no sending)."""
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn]))

    def _grant_notifying(self, role: iam.Role) -> None:
        """The worker: Lambda's event source mapping receives and deletes its messages; it queues a
        shard's continuation; it reads the pending index, claims a page of profiles (TransactWriteItems
        of UpdateItems, which needs UpdateItem) and reads them back (BatchGetItem), claims one by one
        and finishes (UpdateItem), and reads a customer's folder index (Query). Nothing else of the data."""
        role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage"],
            resources=[self.queue.queue_arn]))
        profiles, submissions = self.tables["profiles"], self.tables["submissions"]
        role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"],
            resources=[profiles.table_arn, f"{profiles.table_arn}/index/*"]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:Query"], resources=[f"{submissions.table_arn}/index/*"]))

    def _configure_notification_functions(self, app_settings) -> None:
        planner = self.chalice.get_resource(PLANNER_FUNCTION)
        planner.add_property_override("Role", self.planner_role.role_arn)
        planner.add_property_override("Timeout", PLANNER_TIMEOUT_SECONDS)
        worker = self.chalice.get_resource(WORKER_FUNCTION)
        worker.add_property_override("Role", self.worker_role.role_arn)
        worker.add_property_override("Timeout", WORKER_TIMEOUT_SECONDS)
        # At most notification_worker_concurrency workers: the event source mapping's maximum
        # concurrency (set by app.py) and the function's reserved concurrency. Each sends at most
        # rate / concurrency a second, so together they stay within the SES and SNS quota.
        worker.add_property_override("ReservedConcurrentExecutions", app_settings.notification_worker_concurrency)
        # The event source mapping needs the role's SQS permissions when it is created: the function
        # (which the mapping follows) waits for the role's policy, not only for the role.
        worker.add_dependency(self.worker_role.node.find_child("DefaultPolicy").node.default_child)

    def _notification_alarms(self, alarm) -> list:
        """The dead-letter queue has a message (a shard that failed MAX_RECEIVES times: its customers
        wait; docs/operations.md says how to read and redrive it), and the queue's oldest message
        waits over an hour (the quota or the concurrency is too low for the peak)."""
        dead_letters = self.dead_letters.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum", label="dead letters")
        oldest = self.queue.metric_approximate_age_of_oldest_message(
            period=Duration.minutes(5), statistic="Maximum", label="oldest message (s)")
        visible = self.queue.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum", label="queued shards")
        alarm("DeadLetteredShards", dead_letters, 1,
              "A notification shard message failed 3 times and is in the dead-letter queue (docs/operations.md)")
        alarm("NotificationBacklog", oldest, 3600,
              "A notification shard has waited over an hour in the queue: raise the quota and the concurrency")
        return [cloudwatch.GraphWidget(title="Notification queue", width=24, left=[visible, dead_letters],
                                       right=[oldest])]

    # --- API Gateway ----------------------------------------------------------------------------

    def _configure_api(self) -> None:
        api = self.chalice.get_resource("RestAPI")
        api.add_property_override("Name", self.stage.stack_name)
        # The receipt (a PDF, base64 from the function): API Gateway turns it back into bytes only when
        # the request's *first* Accept type is a binary media type, and a browser's link asks text/html
        # first, so every type counts as binary. Request bodies then arrive base64-encoded, which
        # Chalice decodes for every route (raw_body); text answers (isBase64Encoded false) pass unchanged.
        from chalice.app import APIGateway

        api.add_property_override("DefinitionBody.x-amazon-apigateway-binary-media-types",
                                  [*APIGateway().binary_types, "multipart/form-data", "application/pdf", "*/*"])
        # A path with no route: API Gateway answers MISSING_AUTHENTICATION_TOKEN (403) by default.
        api.add_property_override("DefinitionBody.x-amazon-apigateway-gateway-responses", {
            "MISSING_AUTHENTICATION_TOKEN": {
                "statusCode": 404,
                "responseParameters": {
                    "gatewayresponse.header.Content-Type": "'text/plain; charset=utf-8'",
                    "gatewayresponse.header.Cache-Control": "'no-store'",
                    "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
                },
                "responseTemplates": {
                    "application/json": "Sivua ei löytynyt. Sidan hittades inte. Page not found.",
                    "text/html": "Sivua ei löytynyt. Sidan hittades inte. Page not found.",
                },
            },
        })
        self.api_url = f"https://{api.ref}.execute-api.{self.region}.{self.url_suffix}/{API_GATEWAY_STAGE}/"

    # --- operations -----------------------------------------------------------------------------

    def _alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(self, "Alarms", display_name=f"{self.stage.stack_name} alarms", enforce_ssl=True)
        if self.stage.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.stage.alarm_email))
        return topic

    def _portal_metric(self, name: str, label: str, **dimensions) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=observability.NAMESPACE, metric_name=name, label=label, statistic="Sum",
            period=Duration.hours(1),
            dimensions_map={"service": observability.SERVICE, "stage": self.stage.name, **dimensions},
        )

    def _alarms_and_dashboard(self, topic: sns.Topic) -> None:
        action = cloudwatch_actions.SnsAction(topic)
        alarms: list[cloudwatch.Alarm] = []

        def alarm(construct_id, metric, threshold, description, periods=1):
            created = cloudwatch.Alarm(
                self, construct_id, metric=metric, threshold=threshold, evaluation_periods=periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            created.add_alarm_action(action)
            alarms.append(created)
            return created

        api_dimensions = {"ApiName": self.stage.stack_name, "Stage": API_GATEWAY_STAGE}
        api_5xx = cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="5XXError", statistic="Sum",
                                    period=Duration.minutes(5), dimensions_map=api_dimensions, label="5xx")
        api_4xx = cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="4XXError", statistic="Sum",
                                    period=Duration.minutes(5), dimensions_map=api_dimensions, label="4xx")
        api_count = cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="Count", statistic="Sum",
                                      period=Duration.minutes(5), dimensions_map=api_dimensions, label="requests")
        api_latency = cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="Latency", statistic="p95",
                                        period=Duration.minutes(5), dimensions_map=api_dimensions, label="p95 latency")
        alarm("Api5xx", api_5xx, 5, "API Gateway answered 5xx five times or more in 5 minutes")

        function_widgets = []
        for logical_id in [API_FUNCTION, *self.scheduled, SCAN_RESULT_FUNCTION, WORKER_FUNCTION]:
            function = self.chalice.get_function(logical_id)
            period = Duration.minutes(5) if logical_id in (API_FUNCTION, SCAN_RESULT_FUNCTION) else Duration.hours(1)
            errors = function.metric_errors(period=period, statistic="Sum", label=f"{logical_id} errors")
            throttles = function.metric_throttles(period=period, statistic="Sum", label=f"{logical_id} throttles")
            alarm(f"{logical_id}Errors", errors, 1 if logical_id != API_FUNCTION else 3,
                  f"{logical_id}: the function failed" + (" (a scheduled run)" if logical_id in self.scheduled else ""))
            alarm(f"{logical_id}Throttles", throttles, 1, f"{logical_id}: Lambda throttled invocations")
            function_widgets.append(cloudwatch.GraphWidget(
                title=f"{logical_id}: invocations, errors, throttles", width=8,
                left=[function.metric_invocations(period=period, statistic="Sum"), errors, throttles],
                right=[function.metric_duration(period=period, statistic="p95")],
            ))

        sweep_failures = self._portal_metric(observability.SCHEDULED_FAILURES, "scheduled runs failed",
                                             function="notification_sweep")
        failed_notifications = self._portal_metric(observability.NOTIFICATIONS_FAILED, "notifications failed")
        alarm("SweepFailures", sweep_failures, 1, "The hourly notification planner raised (see its logs)")
        queue_widgets = self._notification_alarms(alarm)
        alarm("FailedNotifications", failed_notifications, self.stage.failed_notifications_threshold,
              "E-mails or text messages could not be sent (bounces, bad numbers, SES/SNS limits)")

        # Malware scanning (docs/operations.md, "Malware scanning"): a file still without a result after
        # scan_overdue_minutes (the 15-minute check's metric), a threat found, a file GuardDuty could not scan.
        overdue = cloudwatch.Metric(
            namespace=observability.NAMESPACE, metric_name=observability.MALWARE_SCANS_OVERDUE,
            label="files still being scanned past the limit", statistic="Maximum", period=Duration.minutes(15),
            dimensions_map={"service": observability.SERVICE, "stage": self.stage.name})
        threats = self._portal_metric(observability.MALWARE_THREATS_FOUND, "files with a threat")
        scan_problems = self._portal_metric(observability.MALWARE_SCAN_PROBLEMS, "files not scanned")
        alarm("MalwareScansOverdue", overdue, 1,
              "Uploaded files have no malware scan result within the set time: GuardDuty or its events are stuck")
        alarm("MalwareThreatsFound", threats, 1, "GuardDuty found a threat in an uploaded file (refused; see runbook)")
        alarm("MalwareScanProblems", scan_problems, 1,
              "GuardDuty could not scan uploaded files (UNSUPPORTED, ACCESS_DENIED or FAILED)")

        throttle_metrics = []
        for number, spec in enumerate(self.specs):
            table = self.tables[spec.name]
            reads = table.metric("ReadThrottleEvents", statistic="Sum", period=Duration.minutes(5))
            writes = table.metric("WriteThrottleEvents", statistic="Sum", period=Duration.minutes(5))
            throttled = cloudwatch.MathExpression(
                expression=f"FILL(r{number}, 0) + FILL(w{number}, 0)",
                using_metrics={f"r{number}": reads, f"w{number}": writes},
                label=spec.name, period=Duration.minutes(5))
            alarm(f"Throttles{_camel(spec.name)}", throttled, 1, f"DynamoDB throttled requests on {spec.name}")
            throttle_metrics.append(throttled)

        sign_ins = [self._portal_metric(observability.SIGN_INS, method, method=method)
                    for method in ("bank", "mobile", "card", "katso")]
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.stage.stack_name)
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24, height=4),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API: requests and errors", width=12, left=[api_count],
                                   right=[api_4xx, api_5xx]),
            cloudwatch.GraphWidget(title="API: latency", width=12, left=[api_latency]),
        )
        dashboard.add_widgets(*function_widgets)
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Sign-ins by method (per hour)", width=8, left=sign_ins, stacked=True),
            cloudwatch.GraphWidget(title="Submissions sent and status updates (per hour)", width=8, left=[
                self._portal_metric(observability.SUBMISSIONS_SENT, "submissions sent"),
                self._portal_metric(observability.STATUS_UPDATES, "status updates"),
            ]),
            cloudwatch.GraphWidget(title="Notifications (per hour)", width=8, left=[
                self._portal_metric(observability.NOTIFICATIONS_SENT, "e-mails sent", channel="email"),
                self._portal_metric(observability.NOTIFICATIONS_SENT, "texts sent", channel="sms"),
                failed_notifications, sweep_failures,
            ]),
        )
        dashboard.add_widgets(*queue_widgets)
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="DynamoDB throttled requests by table", width=16, left=throttle_metrics),
            cloudwatch.GraphWidget(title="Malware scanning", width=8, left=[overdue, threats, scan_problems]),
        )


def _colon_resource_name():
    from aws_cdk import ArnFormat

    return ArnFormat.COLON_RESOURCE_NAME


def _bare_resource():
    from aws_cdk import ArnFormat

    return ArnFormat.NO_RESOURCE_NAME
