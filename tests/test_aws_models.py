"""The trimmed service models (fixtures/aws_models.py) give golive's clients exactly what botocore's full ones do
for every operation golive makes; another botocore or another list of operations never reads them."""
from __future__ import annotations

import json

import botocore
import botocore.exceptions
import botocore.session
import pytest

from fixtures import aws_models
from fixtures.aws import OPERATIONS, UPLOAD


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("botocore-models")


def _session(loader=None) -> botocore.session.Session:
    session = botocore.session.Session()
    if loader is not None:
        session.register_component("data_loader", loader)
    return session


def _trimmed(root, operations=OPERATIONS) -> aws_models.TrimmedLoader:
    loader = aws_models.trimmed_loader(_session(), operations, root)
    assert isinstance(loader, aws_models.TrimmedLoader)
    return loader


def _shapes(shape, seen: dict) -> dict:
    """Every shape `shape` reaches, by name, as botocore's model objects hold them."""
    if shape is None or shape.name in seen:
        return seen
    seen[shape.name] = shape._shape_model
    for child in [*getattr(shape, "members", {}).values(), getattr(shape, "member", None),
                  getattr(shape, "key", None), getattr(shape, "value", None)]:
        _shapes(child, seen)
    return seen


def _operation(model, api_name: str) -> dict:
    op = model.operation_model(api_name)
    shapes: dict = {}
    for shape in [op.input_shape, op.output_shape, *op.error_shapes]:
        _shapes(shape, shapes)
    return {"operation": op._operation_model, "shapes": shapes, "context": op.static_context_parameters,
            "auth": op.auth, "http": op.http}


@pytest.mark.parametrize("operations", [OPERATIONS, UPLOAD], ids=["read-only", "upload"])
def test_every_operation_golive_makes_is_modelled_as_botocore_models_it(cache, operations):
    full, trimmed = _session(), _session(_trimmed(cache, operations))
    for service, methods in operations.items():
        whole, cut = full.get_service_model(service), trimmed.get_service_model(service)
        assert cut.metadata == whole.metadata and cut.api_version == whole.api_version
        assert sorted(s.name for s in cut.error_shapes) == sorted(s.name for s in whole.error_shapes), service
        by_method = {botocore.xform_name(name): name for name in whole.operation_names}
        kept = {botocore.xform_name(name) for name in cut.operation_names}
        assert kept == set(methods), f"{service}: trimmed to {sorted(kept)}, golive makes {sorted(methods)}"
        pages_whole = full.get_paginator_model(service)
        pages_cut = trimmed.get_paginator_model(service)
        for method in methods:
            api = by_method[method]
            assert _operation(cut, api) == _operation(whole, api), f"{service}.{method}"
            assert pages_cut._paginator_config.get(api) == pages_whole._paginator_config.get(api), method
        loaders = full.get_component("data_loader"), trimmed.get_component("data_loader")
        assert loaders[1].load_service_model(service, "endpoint-rule-set-1") == \
               loaders[0].load_service_model(service, "endpoint-rule-set-1"), service


def test_the_clients_have_the_methods_and_names_of_the_full_ones(cache):
    full, trimmed = _session(), _session(_trimmed(cache))
    made = {"region_name": "eu-west-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    for service, methods in OPERATIONS.items():
        whole, cut = full.create_client(service, **made), trimmed.create_client(service, **made)
        for method in methods:
            assert cut.meta.method_to_api_mapping[method] == whole.meta.method_to_api_mapping[method]
            assert cut.can_paginate(method) == whole.can_paginate(method), f"{service}.{method}"
        assert type(cut).__name__ == type(whole).__name__
        assert sorted(dir(cut.exceptions)) == sorted(dir(whole.exceptions)), service
        assert cut.meta.endpoint_url == whole.meta.endpoint_url, service


def test_other_services_and_waiters_come_from_botocores_own_models(cache):
    full, trimmed = _session(), _session(_trimmed(cache))
    assert trimmed.get_service_model("ecr").operation_names == full.get_service_model("ecr").operation_names
    assert trimmed.get_waiter_model("ec2").waiter_names == full.get_waiter_model("ec2").waiter_names


def test_the_upload_and_the_checks_read_their_own_trimmed_sets(cache):
    assert aws_models.folder_name(aws_models.key(OPERATIONS)) != aws_models.folder_name(aws_models.key(UPLOAD))
    upload = _session(_trimmed(cache, UPLOAD)).get_service_model("s3")
    assert [botocore.xform_name(name) for name in upload.operation_names] == ["put_object"]


def test_a_set_made_for_another_botocore_is_never_read(cache, monkeypatch):
    _trimmed(cache)
    wanted = aws_models.key(OPERATIONS)
    folder = cache / aws_models.folder_name(wanted)
    assert aws_models.read_manifest(folder, wanted) is not None
    assert aws_models.read_manifest(folder, {**wanted, "botocore": "0.0.1"}) is None
    assert aws_models.read_manifest(folder, {**wanted, "operations": {"sts": ["get_caller_identity"]}}) is None
    monkeypatch.setattr(botocore, "__version__", "0.0.1")  # the same folder name, were it not for the version
    assert aws_models.folder_name(aws_models.key(OPERATIONS)) != folder.name


def test_a_folder_whose_manifest_disagrees_is_never_read(tmp_path):
    wanted = aws_models.key(OPERATIONS)
    folder = tmp_path / aws_models.folder_name(wanted)
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({**wanted, "botocore": "0.0.1", "services": {}}))
    assert aws_models.trimmed_loader(_session(), OPERATIONS, tmp_path) is None  # the full models, not these


def test_a_cache_that_cannot_be_written_means_the_full_models(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    assert aws_models.trimmed_loader(_session(), OPERATIONS, tmp_path / "file" / "cache") is None


def test_models_from_a_data_path_mean_the_full_models(tmp_path):
    session = _session()
    session.set_config_variable("data_path", str(tmp_path))
    assert aws_models.trimmed_loader(session, OPERATIONS, tmp_path / "cache") is None
    assert not (tmp_path / "cache").exists()


def test_a_missing_profile_is_left_to_the_client_to_say(tmp_path):
    """As before: the session is made, and making its first client says the profile is missing."""
    session = botocore.session.Session(profile="no-such-profile")
    assert aws_models.trimmed_loader(session, OPERATIONS, tmp_path) is None
    with pytest.raises(botocore.exceptions.ProfileNotFound):
        session.create_client("sts", region_name="eu-west-1")


def test_the_images_folder_is_read_where_it_says(tmp_path, monkeypatch):
    """The image is built with its trimmed models in $GOLIVE_CACHE_DIR (its root filesystem is read-only)."""
    monkeypatch.setenv("GOLIVE_CACHE_DIR", str(tmp_path))
    assert aws_models.cache_root() == tmp_path / "botocore-models"
    assert aws_models.install(_session(), UPLOAD)
    assert [p.name for p in aws_models.cache_root().iterdir()] == [aws_models.folder_name(aws_models.key(UPLOAD))]


REGIONS = ["us-east-1", "eu-west-1", "aws-global", "us-gov-west-1", "cn-north-1", "us-iso-east-1", "eu-isoe-west-1",
           "ap-southeast-7", "mx-central-1"]


def _resolved(resolver, *asked, **variants):
    try:
        return resolver.construct_endpoint(*asked, **variants)
    except botocore.exceptions.BotoCoreError as exc:
        return type(exc).__name__, str(exc)


def test_the_trimmed_endpoints_resolve_golives_services_as_botocores_do(cache):
    full, trimmed = _session(), _session(_trimmed(cache))
    whole, cut = (s._get_internal_component("endpoint_resolver") for s in (full, trimmed))
    assert cut.uses_builtin_data and whole.uses_builtin_data
    names = {n for service in OPERATIONS for n in (service, full.get_service_model(service).endpoint_prefix)}
    for partition in whole.get_available_partitions():
        for name in names:
            assert cut.get_available_endpoints(name, partition) == whole.get_available_endpoints(name, partition)
            for region in whole.get_available_endpoints(name, partition, allow_non_regional=True) + REGIONS:
                for variants in ({}, {"use_fips_endpoint": True}, {"use_dualstack_endpoint": True}):
                    asked = (name, region, partition)
                    assert _resolved(cut, *asked, **variants) == _resolved(whole, *asked, **variants), asked
    made = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    for service in OPERATIONS:
        for region in REGIONS:
            a, b = (s.create_client(service, region_name=region, **made) for s in (full, trimmed))
            assert (a.meta.endpoint_url, a.meta.region_name, a.meta.partition) == \
                   (b.meta.endpoint_url, b.meta.region_name, b.meta.partition), (service, region)


def test_golives_session_makes_clients_only_for_its_services(tmp_path, monkeypatch):
    from fixtures.aws import Session

    monkeypatch.setenv("GOLIVE_CACHE_DIR", str(tmp_path))
    core = _session()
    assert aws_models.install(core, UPLOAD)
    session = Session(core, UPLOAD)
    made = session.client("s3", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    assert made.meta.method_to_api_mapping == {"put_object": "PutObject"}
    with pytest.raises(ValueError, match="golive makes no AWS ecr client"):
        session.client("ecr")


def test_the_closure_follows_a_member_called_shape():
    model = {"shapes": {"In": {"type": "structure", "members": {"shape": {"shape": "Kind"}}},
                        "Kind": {"type": "list", "member": {"shape": "Name"}}, "Name": {"type": "string"},
                        "Other": {"type": "string"}}}
    assert aws_models.shape_closure(model, [{"input": {"shape": "In"}}]) == {"In", "Kind", "Name"}


def test_a_service_this_botocore_lacks_means_the_full_models(tmp_path):
    assert aws_models.trimmed_loader(_session(), {"no-such-service": frozenset({"x"})}, tmp_path) is None


def test_a_trimmed_file_gone_is_read_from_botocore(tmp_path):
    loader = _trimmed(tmp_path)
    folder = tmp_path / aws_models.folder_name(aws_models.key(OPERATIONS))
    for gone in [*folder.glob("ec2/*/service-2.json"), folder / "endpoints.json"]:
        gone.unlink()
    session = _session(loader)
    assert session.get_service_model("ec2").operation_names == _session().get_service_model("ec2").operation_names
    assert "lambda" in session._get_internal_component("endpoint_resolver")._endpoint_data["partitions"][0]["services"]
