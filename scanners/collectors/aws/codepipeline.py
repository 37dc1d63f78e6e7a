"""CodePipeline in one region: each pipeline's stages and actions, in the order they run."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from scanners.aws import ClientFactory
from scanners.collectors.base import (
    CollectionError,
    ResourceDoc,
    SubReads,
    collected,
    document,
    listing,
    service_group,
)

PIPELINE = "aws.codepipeline.pipeline"


@service_group(name="codepipeline", resource_types=(PIPELINE,))
def collect(factory: ClientFactory, region: str) -> Iterator[ResourceDoc | CollectionError]:
    yield from collected((PIPELINE,), region, lambda: pipelines(factory, region))


def pipelines(factory: ClientFactory, region: str) -> Iterator[ResourceDoc]:
    codepipeline = factory.client("codepipeline", region)
    for summary in listing(codepipeline, "list_pipelines", "pipelines"):
        name = summary["name"]
        reads = SubReads()
        answer = reads("stages", partial(codepipeline.get_pipeline, name=name))
        yield document(
            uid=f"arn:aws:codepipeline:{region}:{factory.account_id()}:{name}",
            type=PIPELINE,
            region=region,
            name=name,
            config={
                "pipeline_name": name,
                "stages": None if answer is None else stages_of(answer["pipeline"]),
                "errors": reads.errors,
            },
        )


def stages_of(pipeline: dict) -> list[dict]:
    return [
        {
            "name": stage.get("name"),
            "actions": [
                {
                    "name": action.get("name"),
                    "category": (action.get("actionTypeId") or {}).get("category"),
                    "provider": (action.get("actionTypeId") or {}).get("provider"),
                    # Actions of a stage run by ascending runOrder (1 when unset); equal numbers run in parallel.
                    "run_order": action.get("runOrder") or 1,
                }
                for action in stage.get("actions") or []
            ],
        }
        for stage in pipeline.get("stages") or []
    ]
