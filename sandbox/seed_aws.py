"""Seed a moto server with an AWS world that looks like NBA MCP Synthesis production.

Every name golive reads from the configuration comes from the environment the sandbox is rendered from
(stack.sandbox_config(): golive.toml's [environments.sandbox] unless GOLIVE_SANDBOX_CONFIG/GOLIVE_SANDBOX_ENV
or `golive-sandbox up --config/--env` choose another): the account, region, cluster and node group, the
secret prefix and keys, the ESO role and service account, buckets and dump prefix, the RDS instance and
database, Backup's plan and vault, the load balancer. Names no check reads (VPC, security groups, alarms)
are derived from the project name.

The rehearsal sandbox has no cloud: golive's AWS checks run against
``moto_server``. ``seed()`` creates, through plain boto3 calls, the resources
the production target has (VPC, security groups, EKS, IAM/IRSA, Secrets
Manager, S3, ALB, RDS, Backup, CloudWatch, ECR, Glue) and returns the
identifiers moto generated, which other sandbox code needs.

Idempotency: every function looks a resource up before it creates it, so a
second ``seed()`` on the same server changes nothing and duplicates nothing.
Only the S3 backup dump is keyed by today's date, like the real daily dump:
seeding again on a later day adds that day's dump. To start from scratch,
``POST <endpoint>/moto-api/reset`` first.

moto gaps met while writing this (moto 5.2.5, slim install):
  * EKS assigns the cluster a random OIDC issuer id that cannot be set, so it
    differs from OIDC_ID below (returned as ``cluster_oidc_issuer``).
  * An EKS nodegroup names an Auto Scaling group ``eks-<uuid>`` that does not
    exist, and launches no instances: the ASG and its three instances are
    made by hand here.
  * ``rotate_secret`` with RotationLambdaARN fails (no Lambda). Without it and
    with the default RotateImmediately=True, moto's new AWSCURRENT version has
    no SecretString, so RotateImmediately=False keeps the canary value.
  * An HTTPS listener needs a certificate that exists in ACM; a requested one
    stays PENDING_VALIDATION for 60 s, so a self-signed one is imported.
  * Glue needs ``pyparsing``, absent from the slim install: the server
    answers 500 and the Glue database is skipped (listed under ``skipped``).

Usage: python -m sandbox.seed_aws --endpoint-url http://127.0.0.1:18500
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import stack

# --- the production target --------------------------------------------------

# Names golive reads from the configuration come from there, so a sandbox report names what was seeded.
SANDBOX = stack.sandbox_config()

ACCOUNT_ID = SANDBOX.aws.account_id or "123456789012"
REGION = SANDBOX.aws.region
PROJECT = "nba-mcp-synthesis"
ENVIRONMENT = "production"
CLUSTER_NAME = SANDBOX.eks.cluster  # named as the sandbox's, so its reports never read like production
K8S_NAMESPACE = SANDBOX.kubernetes.app_namespace

COMMON_TAGS = {"Project": PROJECT, "Environment": ENVIRONMENT}
CLUSTER_OWNED_TAG = {f"kubernetes.io/cluster/{CLUSTER_NAME}": "owned"}

VPC_NAME = f"{PROJECT}-vpc"
VPC_CIDR = "10.0.0.0/16"
# AZ suffix -> CIDR; the AZ is the seeded region plus the suffix.
PRIVATE_SUBNETS = {"a": "10.0.1.0/24", "b": "10.0.2.0/24", "c": "10.0.3.0/24"}
PUBLIC_SUBNETS = {"a": "10.0.101.0/24", "b": "10.0.102.0/24", "c": "10.0.103.0/24"}

ALB_SG = f"{PROJECT}-alb-sg"
NODE_SG = f"{PROJECT}-node-sg"
CLUSTER_SG = f"{PROJECT}-cluster-sg"
RDS_SG = f"{PROJECT}-rds-sg"

K8S_VERSION = SANDBOX.eks.expected_version
CLUSTER_ROLE = f"{CLUSTER_NAME}-cluster-role"
NODE_ROLE = f"{CLUSTER_NAME}-node-role"
CLUSTER_LOG_TYPES = ["api", "audit", "authenticator"]
NODEGROUP = SANDBOX.eks.nodegroup
NODE_INSTANCE_TYPE = "m5.large"
NODE_SCALING = {"minSize": 3, "desiredSize": 3, "maxSize": 10}
NODE_LABELS = {"role": "worker", "nodegroup": NODEGROUP, "environment": ENVIRONMENT}
# One node per private subnet, at a fixed IP so fixtures can name them.
NODE_PRIVATE_IPS = {"a": "10.0.1.21", "b": "10.0.2.22", "c": "10.0.3.23"}
NODE_AMI = "ami-ekslinux"  # one of moto's built-in AMIs
NODE_LAUNCH_TEMPLATE = f"eks-{NODEGROUP}-{CLUSTER_NAME}"
NODE_ASG = f"eks-{NODEGROUP}-{CLUSTER_NAME}"
NODE_TAGS = {
    "eks:nodegroup-name": NODEGROUP,
    "eks:cluster-name": CLUSTER_NAME,
    **CLUSTER_OWNED_TAG,
}

OIDC_ID = "EXAMPLED539D4633E53DE1B71EXAMPLE"
OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
EXTERNAL_SECRETS_ROLE = SANDBOX.secrets.eso_role_name
EXTERNAL_SECRETS_POLICY = f"{PROJECT}-external-secrets"
EXTERNAL_SECRETS_SA = f"system:serviceaccount:{K8S_NAMESPACE}:{SANDBOX.secrets.eso_service_account}"

SECRET_PREFIX = SANDBOX.secrets.prefix
# What the ESO role may read: the project's every secret (its first path segment), as the target's policy grants.
SECRETS_GRANTED = SECRET_PREFIX.split("/", 1)[0] + "/*" if "/" in SECRET_PREFIX else SECRET_PREFIX + "*"
SECRET_KEYS = tuple(SANDBOX.secrets.keys)
# Credentials we can rotate ourselves: the API keys and the DB password (those the environment requires
# rotated among them). Webhook URL, Linear ids and the AWS key pair are rotated by other means.
ROTATED_SECRET_KEYS = tuple(dict.fromkeys([
    "google-api-key",
    "anthropic-api-key",
    "openai-api-key",
    "deepseek-api-key",
    "linear-api-key",
    "database-password",
    *SANDBOX.secrets.rotation_required,
]))
ROTATION_DAYS = 30
CANARY_PREFIX = "golive-canary-"

BOOKS_BUCKET = SANDBOX.s3.data_bucket
BACKUP_BUCKET = SANDBOX.s3.backup_bucket
BOOKS_OBJECTS = {
    "books/basketball-analytics.pdf": b"%PDF-1.4\n% golive sandbox placeholder\n",
    "books/mathletics.pdf": b"%PDF-1.4\n% golive sandbox placeholder\n",
    "games/2024/game_001.json": b'{"game_id": "001", "home": "BOS", "away": "NYK"}\n',
    "games/2024/game_002.json": b'{"game_id": "002", "home": "LAL", "away": "GSW"}\n',
}
BACKUP_KEY_TEMPLATE = f"{SANDBOX.backup.dump_prefix}{SANDBOX.database.dbname}-{{date}}.dump"

ALB_NAME = SANDBOX.load_balancer.name
TARGET_GROUP = "k8s-nbamcpsy-nbamcpsy-tg"
APP_PORT = 8000
HEALTH_CHECK_PATH = "/health"
POD_IPS = ("10.0.1.101", "10.0.2.102", "10.0.3.103")
SSL_POLICY = "ELBSecurityPolicy-TLS-1-2-2017-01"
CERT_DOMAIN = SANDBOX.kubernetes.ingress_host or "nba-mcp-synthesis.example.com"
ALB_TAGS = {
    "ingress.k8s.aws/stack": f"{K8S_NAMESPACE}/{SANDBOX.kubernetes.ingress}",
    "elbv2.k8s.aws/cluster": CLUSTER_NAME,
}

DB_INSTANCE = SANDBOX.database.rds_instance
DB_SUBNET_GROUP = f"{PROJECT}-db-subnets"
DB_SNAPSHOT = f"{DB_INSTANCE}-pre-golive"
DB_NAME = SANDBOX.database.dbname
DB_USER = "nba_admin"
DB_ENGINE_VERSION = "15.4"
DB_BACKUP_RETENTION_DAYS = SANDBOX.database.backup_retention_days

BACKUP_VAULT = SANDBOX.backup.vault
BACKUP_PLAN = SANDBOX.backup.plan
BACKUP_LIFECYCLE_DAYS = 30
BACKUP_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/service-role/AWSBackupDefaultServiceRole"

ALARM_ALB_5XX = f"{PROJECT}-alb-5xx"
ALARM_RDS_CPU = f"{PROJECT}-rds-cpu"

# kubernetes.expected_image: <registry>/<repository>:<tag>
_IMAGE = SANDBOX.kubernetes.expected_image or f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{PROJECT}:v1.4.0"
ECR_REPOSITORY, IMAGE_TAG = _IMAGE.split("/", 1)[1].rsplit(":", 1)
GLUE_DATABASE = "nba_raw_data"


# --- small helpers ----------------------------------------------------------


def _tag_list(tags: dict) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _tag_spec(resource_type: str, tags: dict) -> list[dict]:
    return [{"ResourceType": resource_type, "Tags": _tag_list(tags)}]


def _error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


class _Clients:
    """One boto3 session against the moto server, one cached client per service."""

    def __init__(self, endpoint_url: str, region: str):
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=region,
        )
        # No retries: against a local moto server a 500 is a moto gap, and
        # retrying it only slows the seed down.
        self._config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
        self._clients: dict = {}

    def __call__(self, service: str):
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service, endpoint_url=self.endpoint_url, config=self._config
            )
        return self._clients[service]


# --- one function per service -----------------------------------------------


def seed_vpc(aws: _Clients) -> dict:
    ec2 = aws("ec2")
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [VPC_NAME]}])["Vpcs"]
    if found:
        vpc_id = found[0]["VpcId"]
    else:
        vpc_id = ec2.create_vpc(
            CidrBlock=VPC_CIDR,
            TagSpecifications=_tag_spec("vpc", {"Name": VPC_NAME, **COMMON_TAGS}),
        )["Vpc"]["VpcId"]

    def subnets(cidrs: dict, tier: str, role_tag: str) -> list[str]:
        ids = []
        for suffix, cidr in cidrs.items():
            az = aws.region + suffix
            existing = ec2.describe_subnets(
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "cidr-block", "Values": [cidr]},
                ]
            )["Subnets"]
            if existing:
                ids.append(existing[0]["SubnetId"])
                continue
            tags = {
                "Name": f"{PROJECT}-{tier}-{az}",
                role_tag: "1",  # lets the AWS Load Balancer Controller find them
                **CLUSTER_OWNED_TAG,
                **COMMON_TAGS,
            }
            ids.append(
                ec2.create_subnet(
                    VpcId=vpc_id,
                    CidrBlock=cidr,
                    AvailabilityZone=az,
                    TagSpecifications=_tag_spec("subnet", tags),
                )["Subnet"]["SubnetId"]
            )
        return ids

    return {
        "vpc_id": vpc_id,
        "private_subnet_ids": subnets(
            PRIVATE_SUBNETS, "private", "kubernetes.io/role/internal-elb"
        ),
        "public_subnet_ids": subnets(PUBLIC_SUBNETS, "public", "kubernetes.io/role/elb"),
    }


def seed_security_groups(aws: _Clients, vpc_id: str) -> dict:
    ec2 = aws("ec2")

    def group(name: str, description: str) -> str:
        found = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": [name]},
            ]
        )["SecurityGroups"]
        if found:
            return found[0]["GroupId"]
        tags = {"Name": name, **CLUSTER_OWNED_TAG, **COMMON_TAGS}
        return ec2.create_security_group(
            GroupName=name,
            Description=description,
            VpcId=vpc_id,
            TagSpecifications=_tag_spec("security-group", tags),
        )["GroupId"]

    def allow(group_id: str, port: int, *, cidr: str | None = None, source_sg: str | None = None):
        rule = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        if cidr:
            rule["IpRanges"] = [{"CidrIp": cidr}]
        else:
            rule["UserIdGroupPairs"] = [{"GroupId": source_sg}]
        try:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[rule])
        except ClientError as exc:  # rule already there from an earlier seed
            if _error_code(exc) != "InvalidPermission.Duplicate":
                raise

    alb = group(ALB_SG, "ALB for the NBA MCP Synthesis ingress")
    node = group(NODE_SG, "EKS worker nodes")
    cluster = group(CLUSTER_SG, "EKS control plane")
    rds = group(RDS_SG, "PostgreSQL for NBA MCP Synthesis")

    # The ALB is the only thing open to the world, and only on 80/443.
    allow(alb, 443, cidr="0.0.0.0/0")
    allow(alb, 80, cidr="0.0.0.0/0")
    allow(node, APP_PORT, source_sg=alb)
    allow(node, 9090, source_sg=alb)  # metrics
    allow(node, 443, cidr=VPC_CIDR)
    allow(cluster, 443, source_sg=node)
    allow(rds, 5432, source_sg=node)
    return {"alb": alb, "node": node, "cluster": cluster, "rds": rds}


def seed_iam(aws: _Clients) -> dict:
    iam = aws("iam")
    oidc_host = f"oidc.eks.{aws.region}.amazonaws.com/id/{OIDC_ID}"
    oidc_arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{oidc_host}"
    try:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc_arn)
    except iam.exceptions.NoSuchEntityException:
        iam.create_open_id_connect_provider(
            Url=f"https://{oidc_host}",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=[OIDC_THUMBPRINT],
        )

    def role(name: str, trust: dict) -> str:
        try:
            return iam.get_role(RoleName=name)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            return iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust),
                Tags=_tag_list(COMMON_TAGS),
            )["Role"]["Arn"]

    def service_trust(service: str) -> dict:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }

    # IRSA: only the external-secrets service account may assume this role.
    irsa_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{oidc_host}:sub": EXTERNAL_SECRETS_SA,
                        f"{oidc_host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    secrets_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": f"arn:aws:secretsmanager:{aws.region}:{ACCOUNT_ID}:secret:{SECRETS_GRANTED}",
            }
        ],
    }

    cluster_role = role(CLUSTER_ROLE, service_trust("eks.amazonaws.com"))
    node_role = role(NODE_ROLE, service_trust("ec2.amazonaws.com"))
    es_role = role(EXTERNAL_SECRETS_ROLE, irsa_trust)

    # A managed (not inline) policy, so checks can read it back with
    # list_attached_role_policies + get_policy_version.
    policy_arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/{EXTERNAL_SECRETS_POLICY}"
    try:
        iam.get_policy(PolicyArn=policy_arn)
    except iam.exceptions.NoSuchEntityException:
        iam.create_policy(
            PolicyName=EXTERNAL_SECRETS_POLICY,
            PolicyDocument=json.dumps(secrets_policy),
            Tags=_tag_list(COMMON_TAGS),
        )
    iam.attach_role_policy(RoleName=EXTERNAL_SECRETS_ROLE, PolicyArn=policy_arn)  # idempotent

    return {
        "oidc_provider_arn": oidc_arn,
        "cluster_role_arn": cluster_role,
        "node_role_arn": node_role,
        "external_secrets_role_arn": es_role,
        "external_secrets_policy_arn": policy_arn,
    }


def seed_eks(aws: _Clients, private_subnet_ids: list, cluster_sg: str, iam: dict) -> dict:
    eks = aws("eks")
    if CLUSTER_NAME not in eks.list_clusters()["clusters"]:
        eks.create_cluster(
            name=CLUSTER_NAME,
            version=K8S_VERSION,
            roleArn=iam["cluster_role_arn"],
            resourcesVpcConfig={
                "subnetIds": private_subnet_ids,
                "securityGroupIds": [cluster_sg],
                "endpointPrivateAccess": True,
                "endpointPublicAccess": True,
            },
            logging={"clusterLogging": [{"types": CLUSTER_LOG_TYPES, "enabled": True}]},
            tags=COMMON_TAGS,
        )
    cluster = eks.describe_cluster(name=CLUSTER_NAME)["cluster"]

    if NODEGROUP not in eks.list_nodegroups(clusterName=CLUSTER_NAME)["nodegroups"]:
        eks.create_nodegroup(
            clusterName=CLUSTER_NAME,
            nodegroupName=NODEGROUP,
            version=K8S_VERSION,  # moto defaults to 1.19 otherwise
            scalingConfig=NODE_SCALING,
            subnets=private_subnet_ids,
            instanceTypes=[NODE_INSTANCE_TYPE],
            capacityType="ON_DEMAND",
            nodeRole=iam["node_role_arn"],
            labels=NODE_LABELS,
            tags=COMMON_TAGS,
        )
    nodegroup = eks.describe_nodegroup(clusterName=CLUSTER_NAME, nodegroupName=NODEGROUP)

    return {
        "cluster_name": CLUSTER_NAME,
        "cluster_arn": cluster["arn"],
        "cluster_endpoint": cluster.get("endpoint"),
        "cluster_oidc_issuer": cluster.get("identity", {}).get("oidc", {}).get("issuer"),
        "nodegroup_name": NODEGROUP,
        "nodegroup_arn": nodegroup["nodegroup"]["nodegroupArn"],
    }


def seed_nodes(aws: _Clients, private_subnet_ids: list, node_sg: str) -> dict:
    """Worker instances and their Auto Scaling group (moto's nodegroup makes neither)."""
    ec2, autoscaling = aws("ec2"), aws("autoscaling")

    running = ec2.describe_instances(
        Filters=[
            {"Name": "tag:eks:nodegroup-name", "Values": [NODEGROUP]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )["Reservations"]
    by_ip = {i["PrivateIpAddress"]: i["InstanceId"] for r in running for i in r["Instances"]}
    for (suffix, ip), subnet_id in zip(NODE_PRIVATE_IPS.items(), private_subnet_ids):
        if ip in by_ip:
            continue
        tags = {"Name": f"{CLUSTER_NAME}-{NODEGROUP}-{suffix}", **NODE_TAGS, **COMMON_TAGS}
        instance = ec2.run_instances(
            ImageId=NODE_AMI,
            InstanceType=NODE_INSTANCE_TYPE,
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet_id,
            PrivateIpAddress=ip,
            SecurityGroupIds=[node_sg],
            TagSpecifications=_tag_spec("instance", tags),
        )["Instances"][0]
        by_ip[ip] = instance["InstanceId"]
    instance_ids = [by_ip[ip] for ip in NODE_PRIVATE_IPS.values()]

    try:
        ec2.describe_launch_templates(LaunchTemplateNames=[NODE_LAUNCH_TEMPLATE])
    except ClientError as exc:
        if _error_code(exc) != "InvalidLaunchTemplateName.NotFoundException":
            raise
        ec2.create_launch_template(
            LaunchTemplateName=NODE_LAUNCH_TEMPLATE,
            LaunchTemplateData={
                "ImageId": NODE_AMI,
                "InstanceType": NODE_INSTANCE_TYPE,
                "SecurityGroupIds": [node_sg],
            },
        )

    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[NODE_ASG])
    if not groups["AutoScalingGroups"]:
        # Start empty and attach our fixed-IP instances; with a desired
        # capacity moto would launch instances of its own at random IPs.
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=NODE_ASG,
            LaunchTemplate={"LaunchTemplateName": NODE_LAUNCH_TEMPLATE, "Version": "$Latest"},
            MinSize=0,
            MaxSize=NODE_SCALING["maxSize"],
            DesiredCapacity=0,
            VPCZoneIdentifier=",".join(private_subnet_ids),
            Tags=[
                {"Key": k, "Value": v, "PropagateAtLaunch": True}
                for k, v in {**NODE_TAGS, **COMMON_TAGS}.items()
            ],
        )
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[NODE_ASG])
    attached = {i["InstanceId"] for i in groups["AutoScalingGroups"][0]["Instances"]}
    missing = [i for i in instance_ids if i not in attached]
    if missing:
        autoscaling.attach_instances(AutoScalingGroupName=NODE_ASG, InstanceIds=missing)
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName=NODE_ASG,
        MinSize=NODE_SCALING["minSize"],
        MaxSize=NODE_SCALING["maxSize"],
        DesiredCapacity=NODE_SCALING["desiredSize"],
    )
    return {
        "asg_name": NODE_ASG,
        "instance_ids": instance_ids,
        "instance_private_ips": list(NODE_PRIVATE_IPS.values()),
    }


def seed_secrets(aws: _Clients) -> dict:
    sm = aws("secretsmanager")
    arns = {}
    for key in SECRET_KEYS:
        name = SECRET_PREFIX + key
        try:
            described = sm.describe_secret(SecretId=name)
        except sm.exceptions.ResourceNotFoundException:
            sm.create_secret(
                Name=name,
                Description=f"NBA MCP Synthesis {ENVIRONMENT} {key}",
                SecretString=CANARY_PREFIX + key,  # tests grep artifacts for this
                Tags=_tag_list(COMMON_TAGS),
            )
            described = sm.describe_secret(SecretId=name)
        if key in ROTATED_SECRET_KEYS and not described.get("RotationEnabled"):
            # No RotationLambdaARN: moto cannot invoke one. RotateImmediately
            # False keeps the canary as the current value.
            sm.rotate_secret(
                SecretId=name,
                RotationRules={"AutomaticallyAfterDays": ROTATION_DAYS},
                RotateImmediately=False,
            )
        arns[key] = described["ARN"]
    return {"secret_arns": arns}


def seed_s3(aws: _Clients) -> dict:
    s3 = aws("s3")
    existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}

    def bucket(name: str, purpose: str):
        if name not in existing:
            kwargs = {}
            if aws.region != "us-east-1":  # us-east-1 rejects an explicit constraint
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": aws.region}
            s3.create_bucket(Bucket=name, **kwargs)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": _tag_list({**COMMON_TAGS, "Purpose": purpose})}
        )

    def put_once(name: str, key: str, body: bytes):
        # Versioned buckets keep every put, so skip keys already there.
        try:
            s3.head_object(Bucket=name, Key=key)
        except ClientError as exc:
            if _error_code(exc) not in ("404", "NoSuchKey"):
                raise
            s3.put_object(Bucket=name, Key=key, Body=body)

    bucket(BOOKS_BUCKET, "books")
    bucket(BACKUP_BUCKET, "backups")
    for key, body in BOOKS_OBJECTS.items():
        put_once(BOOKS_BUCKET, key, body)
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    backup_key = BACKUP_KEY_TEMPLATE.format(date=today)
    put_once(BACKUP_BUCKET, backup_key, b"PGDMP golive sandbox placeholder\n")
    return {
        "books_bucket": BOOKS_BUCKET,
        "backup_bucket": BACKUP_BUCKET,
        "backup_object_key": backup_key,
    }


def _self_signed_certificate(domain: str) -> tuple[bytes, bytes]:
    """A throwaway self-signed cert + key (PEM): ACM import needs a real one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def seed_certificate(aws: _Clients) -> dict:
    acm = aws("acm")
    for summary in acm.list_certificates()["CertificateSummaryList"]:
        if summary["DomainName"] == CERT_DOMAIN:
            return {"certificate_arn": summary["CertificateArn"]}
    cert_pem, key_pem = _self_signed_certificate(CERT_DOMAIN)
    arn = acm.import_certificate(
        Certificate=cert_pem, PrivateKey=key_pem, Tags=_tag_list(COMMON_TAGS)
    )["CertificateArn"]
    return {"certificate_arn": arn}


def seed_elbv2(
    aws: _Clients, vpc_id: str, public_subnet_ids: list, alb_sg: str, cert_arn: str
) -> dict:
    elbv2 = aws("elbv2")
    try:
        lb = elbv2.describe_load_balancers(Names=[ALB_NAME])["LoadBalancers"][0]
    except elbv2.exceptions.LoadBalancerNotFoundException:
        lb = elbv2.create_load_balancer(
            Name=ALB_NAME,
            Subnets=public_subnet_ids,
            SecurityGroups=[alb_sg],
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
            Tags=_tag_list({**ALB_TAGS, **COMMON_TAGS}),
        )["LoadBalancers"][0]
    lb_arn = lb["LoadBalancerArn"]

    try:
        tg = elbv2.describe_target_groups(Names=[TARGET_GROUP])["TargetGroups"][0]
    except elbv2.exceptions.TargetGroupNotFoundException:
        tg = elbv2.create_target_group(
            Name=TARGET_GROUP,
            Protocol="HTTP",
            Port=APP_PORT,
            VpcId=vpc_id,
            TargetType="ip",  # the controller registers pod IPs
            HealthCheckProtocol="HTTP",
            HealthCheckPath=HEALTH_CHECK_PATH,
            Matcher={"HttpCode": "200"},
            Tags=_tag_list({**ALB_TAGS, **COMMON_TAGS}),
        )["TargetGroups"][0]
    tg_arn = tg["TargetGroupArn"]
    # Registering an already registered target is a no-op.
    elbv2.register_targets(
        TargetGroupArn=tg_arn, Targets=[{"Id": ip, "Port": APP_PORT} for ip in POD_IPS]
    )

    listeners = {
        l["Port"]: l["ListenerArn"]
        for l in elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
    }
    if 443 not in listeners:
        listeners[443] = elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTPS",
            Port=443,
            SslPolicy=SSL_POLICY,
            Certificates=[{"CertificateArn": cert_arn}],
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
        )["Listeners"][0]["ListenerArn"]
    if 80 not in listeners:
        listeners[80] = elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {
                    "Type": "redirect",
                    "RedirectConfig": {
                        "Protocol": "HTTPS",
                        "Port": "443",
                        "StatusCode": "HTTP_301",
                    },
                }
            ],
        )["Listeners"][0]["ListenerArn"]

    return {
        "load_balancer_arn": lb_arn,
        "load_balancer_dns_name": lb["DNSName"],
        "target_group_arn": tg_arn,
        "target_ips": list(POD_IPS),
        "https_listener_arn": listeners[443],
        "http_listener_arn": listeners[80],
    }


def seed_rds(aws: _Clients, private_subnet_ids: list, rds_sg: str) -> dict:
    rds = aws("rds")
    try:
        rds.describe_db_subnet_groups(DBSubnetGroupName=DB_SUBNET_GROUP)
    except rds.exceptions.DBSubnetGroupNotFoundFault:
        rds.create_db_subnet_group(
            DBSubnetGroupName=DB_SUBNET_GROUP,
            DBSubnetGroupDescription="Private subnets for the NBA MCP Synthesis database",
            SubnetIds=private_subnet_ids,
            Tags=_tag_list(COMMON_TAGS),
        )
    try:
        db = rds.describe_db_instances(DBInstanceIdentifier=DB_INSTANCE)["DBInstances"][0]
    except rds.exceptions.DBInstanceNotFoundFault:
        db = rds.create_db_instance(
            DBInstanceIdentifier=DB_INSTANCE,
            DBInstanceClass="db.t3.medium",
            Engine="postgres",
            EngineVersion=DB_ENGINE_VERSION,
            DBName=DB_NAME,
            MasterUsername=DB_USER,
            # Same canary as the Secrets Manager entry: a leak shows up in greps.
            MasterUserPassword=CANARY_PREFIX + "database-password",
            AllocatedStorage=100,
            StorageType="gp3",
            MultiAZ=True,
            StorageEncrypted=True,
            BackupRetentionPeriod=DB_BACKUP_RETENTION_DAYS,
            PreferredBackupWindow="03:00-04:00",
            VpcSecurityGroupIds=[rds_sg],
            DBSubnetGroupName=DB_SUBNET_GROUP,
            PubliclyAccessible=False,
            DeletionProtection=True,
            Tags=_tag_list(COMMON_TAGS),
        )["DBInstance"]
    try:
        rds.describe_db_snapshots(DBSnapshotIdentifier=DB_SNAPSHOT)
    except rds.exceptions.DBSnapshotNotFoundFault:
        rds.create_db_snapshot(
            DBInstanceIdentifier=DB_INSTANCE,
            DBSnapshotIdentifier=DB_SNAPSHOT,
            Tags=_tag_list(COMMON_TAGS),
        )
    return {
        "db_instance_identifier": DB_INSTANCE,
        "db_instance_arn": db["DBInstanceArn"],
        "db_endpoint": db.get("Endpoint", {}).get("Address"),
        "db_subnet_group": DB_SUBNET_GROUP,
        "db_snapshot_identifier": DB_SNAPSHOT,
    }


def seed_backup(aws: _Clients, db_instance_arn: str) -> dict:
    backup = aws("backup")
    try:
        vault_arn = backup.describe_backup_vault(BackupVaultName=BACKUP_VAULT)["BackupVaultArn"]
    except backup.exceptions.ResourceNotFoundException:
        vault_arn = backup.create_backup_vault(
            BackupVaultName=BACKUP_VAULT, BackupVaultTags=COMMON_TAGS
        )["BackupVaultArn"]

    plans = {p["BackupPlanName"]: p for p in backup.list_backup_plans()["BackupPlansList"]}
    if BACKUP_PLAN in plans:
        plan_id, plan_arn = plans[BACKUP_PLAN]["BackupPlanId"], plans[BACKUP_PLAN]["BackupPlanArn"]
    else:
        created = backup.create_backup_plan(
            BackupPlan={
                "BackupPlanName": BACKUP_PLAN,
                "Rules": [
                    {
                        "RuleName": "daily",
                        "TargetBackupVaultName": BACKUP_VAULT,
                        "ScheduleExpression": "cron(0 5 * * ? *)",
                        "Lifecycle": {"DeleteAfterDays": BACKUP_LIFECYCLE_DAYS},
                    }
                ],
            },
            BackupPlanTags=COMMON_TAGS,
        )
        plan_id, plan_arn = created["BackupPlanId"], created["BackupPlanArn"]
    return {"backup_vault_arn": vault_arn, "backup_plan_id": plan_id, "backup_plan_arn": plan_arn,
            "recovery_point_arn": seed_recovery_point(aws, db_instance_arn)}


def seed_recovery_point(aws: _Clients, resource_arn: str) -> str:
    """The plan's last nightly run: a completed recovery point of the database, younger than an hour.

    The sandbox's Backup (sandbox/aws_backup.py) completes a job at once; a reseed reuses a fresh point.
    """
    backup = aws("backup")
    fresh = [p for p in backup.list_recovery_points_by_backup_vault(BackupVaultName=BACKUP_VAULT)["RecoveryPoints"]
             if p["ResourceArn"] == resource_arn and p["Status"] == "COMPLETED"
             and dt.datetime.now(dt.timezone.utc) - p["CreationDate"] < dt.timedelta(hours=1)]
    if fresh:
        return fresh[0]["RecoveryPointArn"]
    return backup.start_backup_job(
        BackupVaultName=BACKUP_VAULT, ResourceArn=resource_arn, IamRoleArn=BACKUP_ROLE_ARN,
        Lifecycle={"DeleteAfterDays": BACKUP_LIFECYCLE_DAYS})["RecoveryPointArn"]


def seed_cloudwatch(aws: _Clients, lb_arn: str, tg_arn: str) -> dict:
    cloudwatch = aws("cloudwatch")
    # CloudWatch names an ALB/TG by the tail of its ARN ("app/<name>/<id>").
    lb_dimension = lb_arn.split(":loadbalancer/", 1)[1]
    tg_dimension = tg_arn.rsplit(":", 1)[1]
    alarms = {
        ALARM_ALB_5XX: dict(
            Namespace="AWS/ApplicationELB",
            MetricName="HTTPCode_Target_5XX_Count",
            Dimensions=[
                {"Name": "LoadBalancer", "Value": lb_dimension},
                {"Name": "TargetGroup", "Value": tg_dimension},
            ],
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=10,
            ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching",
        ),
        ALARM_RDS_CPU: dict(
            Namespace="AWS/RDS",
            MetricName="CPUUtilization",
            Dimensions=[{"Name": "DBInstanceIdentifier", "Value": DB_INSTANCE}],
            Statistic="Average",
            Period=300,
            EvaluationPeriods=3,
            Threshold=80,
            ComparisonOperator="GreaterThanThreshold",
        ),
    }
    existing = {
        a["AlarmName"]: a
        for a in cloudwatch.describe_alarms(AlarmNames=list(alarms))["MetricAlarms"]
    }
    for name, spec in alarms.items():
        if name not in existing:
            cloudwatch.put_metric_alarm(AlarmName=name, Tags=_tag_list(COMMON_TAGS), **spec)
        if existing.get(name, {}).get("StateValue") != "OK":
            # New alarms start in INSUFFICIENT_DATA; production's are OK.
            cloudwatch.set_alarm_state(
                AlarmName=name, StateValue="OK", StateReason="golive sandbox seed"
            )
    return {"alarm_names": list(alarms)}


def seed_ecr(aws: _Clients) -> dict:
    ecr = aws("ecr")
    try:
        repo = ecr.describe_repositories(repositoryNames=[ECR_REPOSITORY])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        repo = ecr.create_repository(
            repositoryName=ECR_REPOSITORY,
            imageScanningConfiguration={"scanOnPush": True},
            imageTagMutability="IMMUTABLE",
            tags=_tag_list(COMMON_TAGS),
        )["repository"]
    try:
        ecr.describe_images(repositoryName=ECR_REPOSITORY, imageIds=[{"imageTag": IMAGE_TAG}])
    except ecr.exceptions.ImageNotFoundException:
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1024,
                "digest": "sha256:" + "0" * 64,
            },
            "layers": [],
        }
        ecr.put_image(
            repositoryName=ECR_REPOSITORY,
            imageManifest=json.dumps(manifest),
            imageTag=IMAGE_TAG,
        )
    return {"ecr_repository_uri": repo["repositoryUri"], "image_tag": IMAGE_TAG}


def seed_glue(aws: _Clients) -> dict:
    glue = aws("glue")
    try:
        glue.get_database(Name=GLUE_DATABASE)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": GLUE_DATABASE})
    return {"glue_database": GLUE_DATABASE}


# --- entry points -----------------------------------------------------------


def seed(endpoint_url: str, region: str = REGION) -> dict:
    """Create (or find) the production-like world; return the generated identifiers."""
    aws = _Clients(endpoint_url, region)
    out: dict = {"endpoint_url": endpoint_url, "region": region, "account_id": ACCOUNT_ID}

    out.update(seed_vpc(aws))
    sgs = seed_security_groups(aws, out["vpc_id"])
    out["security_group_ids"] = sgs
    iam = seed_iam(aws)
    out.update(iam)
    out.update(seed_eks(aws, out["private_subnet_ids"], sgs["cluster"], iam))
    out.update(seed_nodes(aws, out["private_subnet_ids"], sgs["node"]))
    out.update(seed_secrets(aws))
    out.update(seed_s3(aws))
    out.update(seed_certificate(aws))
    out.update(
        seed_elbv2(aws, out["vpc_id"], out["public_subnet_ids"], sgs["alb"], out["certificate_arn"])
    )
    out.update(seed_rds(aws, out["private_subnet_ids"], sgs["rds"]))
    out.update(seed_backup(aws, out["db_instance_arn"]))
    out.update(seed_cloudwatch(aws, out["load_balancer_arn"], out["target_group_arn"]))

    # Optional services: a moto gap here must not stop the seed.
    out["skipped"] = {}
    for name, fn in (("ecr", seed_ecr), ("glue", seed_glue)):
        try:
            out.update(fn(aws))
        except ClientError as exc:
            out["skipped"][name] = str(exc)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", default="http://127.0.0.1:18500")
    parser.add_argument("--region", default=REGION)
    args = parser.parse_args(argv)
    json.dump(seed(args.endpoint_url, args.region), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
