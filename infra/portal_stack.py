"""One stage of the portal on AWS: the Chalice app (API and scheduled functions), its tables, bucket,
secrets, roles, alarms and dashboard."""
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
    aws_iam as iam,
    aws_logs as logs,
    aws_s3 as s3,
    aws_secretsmanager as secretsmanager,
    aws_sns as sns,
    aws_sns_subscriptions as subscriptions,
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
SCHEDULED_TIMEOUT_SECONDS = 900  # the notification sweep works for up to 12 minutes
MEMORY_MB = 1024  # more memory is more CPU: the cold start is CPU bound


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
        self.tasks_role = self._role("ScheduledRole", "The portal's scheduled functions: notifications, retention")
        self._grant_data(self.api_role, s3_actions=("s3:GetObject", "s3:PutObject", "s3:DeleteObject"))
        self._grant_data(self.tasks_role, s3_actions=("s3:GetObject", "s3:DeleteObject"))
        self._grant_sending(self.tasks_role)

        environment = {
            "PORTAL_ATTACHMENTS_BUCKET": self.bucket.bucket_name,
            "PORTAL_PUBLIC_BASE_URL": stage.public_base_url,
            "PORTAL_OIDC_ISSUER": stage.oidc_issuer,
            "PORTAL_OIDC_CLIENT_ID": stage.oidc_client_id,
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
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        if stage.sms_sender_id:
            environment["PORTAL_NOTIFICATION_SMS_SENDER_ID"] = stage.sms_sender_id
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
        self.scheduled = self.chalice.scheduled_functions()
        for logical_id in self.scheduled:
            function = self.chalice.get_resource(logical_id)
            function.add_property_override("Role", self.tasks_role.role_arn)
            function.add_property_override("Timeout", SCHEDULED_TIMEOUT_SECONDS)
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
                        "generated once, never change it (every profile would become unreachable)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"oidc_client_secret": "set-me"}),
                generate_string_key="identity_pepper",
                password_length=64,
                exclude_punctuation=True,
            ),
        )
        secret.apply_removal_policy(RemovalPolicy.RETAIN)  # losing the pepper loses every profile
        return secret

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
        for logical_id in [API_FUNCTION, *self.scheduled]:
            function = self.chalice.get_function(logical_id)
            period = Duration.minutes(5) if logical_id == API_FUNCTION else Duration.hours(1)
            errors = function.metric_errors(period=period, statistic="Sum", label=f"{logical_id} errors")
            throttles = function.metric_throttles(period=period, statistic="Sum", label=f"{logical_id} throttles")
            alarm(f"{logical_id}Errors", errors, 1 if logical_id != API_FUNCTION else 3,
                  f"{logical_id}: the function failed" + (" (a scheduled run)" if logical_id != API_FUNCTION else ""))
            alarm(f"{logical_id}Throttles", throttles, 1, f"{logical_id}: Lambda throttled invocations")
            function_widgets.append(cloudwatch.GraphWidget(
                title=f"{logical_id}: invocations, errors, throttles", width=8,
                left=[function.metric_invocations(period=period, statistic="Sum"), errors, throttles],
                right=[function.metric_duration(period=period, statistic="p95")],
            ))

        sweep_failures = self._portal_metric(observability.SCHEDULED_FAILURES, "scheduled runs failed",
                                             function="notification_sweep")
        failed_notifications = self._portal_metric(observability.NOTIFICATIONS_FAILED, "notifications failed")
        alarm("SweepFailures", sweep_failures, 1, "The hourly notification sweep raised (see its logs)")
        alarm("FailedNotifications", failed_notifications, self.stage.failed_notifications_threshold,
              "E-mails or text messages could not be sent (bounces, bad numbers, SES/SNS limits)")

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
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="DynamoDB throttled requests by table", width=24, left=throttle_metrics),
        )


def _colon_resource_name():
    from aws_cdk import ArnFormat

    return ArnFormat.COLON_RESOURCE_NAME


def _bare_resource():
    from aws_cdk import ArnFormat

    return ArnFormat.NO_RESOURCE_NAME
