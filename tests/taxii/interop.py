"""Drives a TAXII 2.1 server with the real Python clients from PyPI.

`interop` (the default) publishes objects made with `stix2` through
`taxii2-client`, pages through them, filters, and reads them back, checking
every answer; it exits non-zero with the failed check on the first mismatch.

`bench` measures adding objects in envelopes of 1,000 and paging through
them with limit=1000, and prints the figures as one JSON line. Run it
against `commons serve` and against medallion (memory backend) for the
side-by-side ratio.

Usage:
    interop.py interop URL USER PASSWORD ALIAS
    interop.py bench URL USER PASSWORD ALIAS OBJECTS
"""

import json
import sys
import time
import uuid

import stix2
from taxii2client.v21 import Server, as_pages


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def collection_named(url, user, password, alias):
    server = Server(url, user=user, password=password)
    check(server.title, "discovery has a title")
    api_root = server.default or server.api_roots[0]
    check("application/taxii+json;version=2.1" in api_root.versions, "the API root speaks TAXII 2.1")
    for collection in api_root.collections:
        if getattr(collection, "alias", None) == alias or collection.title == alias:
            return collection
    check(False, f"a collection named {alias}")


def interop(url, user, password, alias):
    collection = collection_named(url, user, password, alias)
    check(collection.can_read and collection.can_write, "the collection is readable and writable")
    marker = uuid.uuid4().hex[:8]
    indicators = [
        stix2.Indicator(
            name=f"interop {marker} {n}",
            pattern=f"[ipv4-addr:value = '203.0.113.{n}']",
            pattern_type="stix",
            valid_from="2026-01-01T00:00:00Z",
            labels=[f"interop-{marker}"],
        )
        for n in range(25)
    ]
    malware = stix2.Malware(name=f"interop {marker}", is_family=True)
    relationship = stix2.Relationship(indicators[0], "indicates", malware)
    objects = indicators + [malware, relationship]
    envelope = {"objects": [json.loads(obj.serialize()) for obj in objects]}
    status = collection.add_objects(envelope)
    check(status.status == "complete", f"the add completed: {status.status}")
    check(status.success_count == len(objects), f"every object was added: {status.success_count}")
    check(status.failure_count == 0, "no failures")

    again = collection.add_objects({"objects": envelope["objects"][:1]})
    check(again.failure_count == 1, "adding the same version again is a failure")

    ids = {obj.id for obj in objects}
    seen = []
    pages = 0
    for page in as_pages(collection.get_objects, per_request=10, type="indicator"):
        pages += 1
        seen.extend(obj["id"] for obj in page.get("objects", []))
    check(pages >= 3, f"indicators come in pages of 10: {pages} pages")
    check(len(seen) == len(set(seen)), "paging repeats nothing")
    check({obj.id for obj in indicators} <= set(seen), "paging loses nothing")

    found = collection.get_objects(type="malware")
    check(any(obj["id"] == malware.id for obj in found.get("objects", [])), "match[type] finds the malware")
    found = collection.get_objects(id=indicators[3].id)
    check([obj["id"] for obj in found["objects"]] == [indicators[3].id], "match[id] finds one object")

    one = collection.get_object(indicators[5].id)
    parsed = stix2.parse(one["objects"][0], allow_custom=True)
    check(parsed.id == indicators[5].id and parsed.pattern == indicators[5].pattern, "an object reads back unchanged")

    versions = collection.object_versions(indicators[5].id)
    check(len(versions["versions"]) == 1, "one version so far")
    newer = indicators[5].new_version(name=f"interop {marker} renamed")
    status = collection.add_objects({"objects": [json.loads(newer.serialize())]})
    check(status.success_count == 1, "a new version is added")
    versions = collection.object_versions(indicators[5].id)
    check(len(versions["versions"]) == 2, "two versions now")
    latest = collection.get_object(indicators[5].id)
    check(latest["objects"][0]["name"].endswith("renamed"), "the newest version is the default")
    first = collection.get_object(indicators[5].id, version="first")
    check(first["objects"][0]["name"] == indicators[5].name, "match[version]=first")

    manifest = collection.get_manifest(id=malware.id)
    check(manifest["objects"][0]["media_type"] == "application/stix+json;version=2.1", "the manifest names the media type")

    response = collection.get_objects(added_after="2999-01-01T00:00:00Z")
    check(not response.get("objects"), "added_after in the future finds nothing")

    collection.delete_object(relationship.id)
    response = collection.get_objects(id=relationship.id)
    check(not response.get("objects"), "a deleted object is gone")
    print(f"interop: {len(ids)} objects published, paged, filtered and read back")


def bench(url, user, password, alias, count):
    collection = collection_named(url, user, password, alias)
    marker = uuid.uuid4().hex[:8]
    created = "2026-01-01T00:00:00.000Z"
    template = {
        "type": "indicator",
        "spec_version": "2.1",
        "created": created,
        "modified": created,
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "labels": ["bench"],
    }
    objects = []
    for n in range(count):
        obj = dict(template)
        obj["id"] = f"indicator--{uuid.uuid4()}"
        obj["name"] = f"bench {marker} {n}"
        obj["pattern"] = f"[ipv4-addr:value = '10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}']"
        objects.append(obj)
    started = time.perf_counter()
    for start in range(0, count, 1000):
        status = collection.add_objects({"objects": objects[start:start + 1000]}, poll_interval=0.05)
        check(status.success_count == len(objects[start:start + 1000]), f"envelope at {start} added")
    add_seconds = time.perf_counter() - started

    started = time.perf_counter()
    first_page = None
    total = 0
    for page in as_pages(collection.get_objects, per_request=1000):
        if first_page is None:
            first_page = time.perf_counter() - started
        total += len(page.get("objects", []))
    page_seconds = time.perf_counter() - started
    check(total >= count, f"paging returned every object: {total} of at least {count}")
    print(json.dumps({
        "objects": count,
        "add_objects_per_s": round(count / add_seconds),
        "page_objects_per_s": round(total / page_seconds),
        "first_page_ms": round((first_page or 0) * 1000, 1),
        "paged": total,
    }))


def main(argv):
    if len(argv) >= 5 and argv[0] == "interop":
        interop(*argv[1:5])
    elif len(argv) >= 6 and argv[0] == "bench":
        bench(*argv[1:5], int(argv[5]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
