"""The embedded moto as the local cloud patches it (`local/moto_transactions.py`,
`local/moto_bounds.py`): transactions cost what their items cost whatever the table's
size, a cancelled one leaves items and stream exactly as before, the stream keeps 24
hours, and what moto creates per request is freed."""
from __future__ import annotations

import gc
import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError


def _table(ddb, items: int) -> str:
    name = f"undo-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    filler = "x" * 500
    for start in range(0, items, 25):
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": f"p{i % 97}"}, "sk": {"S": f"s{i}"}, "data": {"S": filler}}}}
            for i in range(start, min(start + 25, items))
        ]})
    return name


def _transaction(ddb, table: str, n: int) -> None:
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": f"t{n}"}, "sk": {"S": "a"}, "v": {"N": str(n)}}}},
        {"Update": {"TableName": table, "Key": {"pk": {"S": "p1"}, "sk": {"S": "s1"}}, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": str(n)}}}},
        {"Put": {"TableName": table, "Item": {"pk": {"S": f"t{n}"}, "sk": {"S": "b"}}}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "p2"}, "sk": {"S": "s2"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ])


def _best_of(ddb, table: str, runs: int = 15) -> float:
    times = []
    for n in range(runs):
        started = time.perf_counter()
        _transaction(ddb, table, n)
        times.append(time.perf_counter() - started)
    return min(times)


def _stream(table: str) -> list[dict]:
    ddb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]


def test_a_transaction_costs_the_same_on_10_000_items_as_on_10(cloud):
    ddb = boto3.client("dynamodb")
    small, large = _table(ddb, 10), _table(ddb, 10_000)
    _best_of(ddb, small, 3)  # warm the connection and moto's code paths
    on_small, on_large = _best_of(ddb, small), _best_of(ddb, large)
    print(f"4-item transaction: {on_small * 1000:.1f} ms on 10 items, {on_large * 1000:.1f} ms on 10,000")
    assert on_large < 2 * on_small


def test_a_cancelled_transaction_leaves_items_and_stream_exactly_as_before(cloud):
    ddb = boto3.client("dynamodb")
    table = _table(ddb, 10)
    ddb.delete_item(TableName=table, Key={"pk": {"S": "p3"}, "sk": {"S": "s3"}})
    before_items = sorted(ddb.scan(TableName=table)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    before_stream = _stream(table)
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": {"pk": {"S": "p1"}, "sk": {"S": "s1"}}, "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": "1"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}, "sk": {"S": "item"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "p2"}, "sk": {"S": "s2"}}}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "p4"}, "sk": {"S": "s4"}}, "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": "2"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    after_items = sorted(ddb.scan(TableName=table)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    assert after_items == before_items
    assert _stream(table) == before_stream
    # the next write appears on the stream right after the records that were there
    ddb.put_item(TableName=table, Item={"pk": {"S": "later"}, "sk": {"S": "x"}})
    records = _stream(table)
    assert records[:-1] == before_stream and records[-1]["dynamodb"]["Keys"]["pk"] == {"S": "later"}
    assert int(records[-1]["dynamodb"]["SequenceNumber"]) > int(before_stream[-1]["dynamodb"]["SequenceNumber"])


def test_no_reader_sees_a_write_of_a_transaction_that_is_then_cancelled(cloud, monkeypatch):
    """Transactions are isolated as in DynamoDB: a read or a stream read that arrives while a
    transaction is half-applied waits for it, and then finds nothing of it once cancelled."""
    import threading

    from moto.dynamodb.models.table import Table

    ddb = boto3.client("dynamodb")
    table = _table(ddb, 10)
    half_applied = threading.Event()
    put = Table.put_item

    def slow_put(self, item_attrs, *args, **kwargs):
        written = put(self, item_attrs, *args, **kwargs)
        if item_attrs.get("pk") == {"S": "tentative"}:
            half_applied.set()
            time.sleep(0.5)  # the window in which, without isolation, a reader sees it
        return written

    monkeypatch.setattr(Table, "put_item", slow_put)
    before = _stream(table)

    def cancelled() -> None:
        with pytest.raises(ClientError):
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "tentative"}, "sk": {"S": "x"}}}},
                {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "absent"}, "sk": {"S": "x"}},
                                    "ConditionExpression": "attribute_exists(pk)"}},
            ])

    writer = threading.Thread(target=cancelled)
    writer.start()
    assert half_applied.wait(5)
    records = _stream(table)
    seen = boto3.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "tentative"}, "sk": {"S": "x"}})
    writer.join()
    assert "Item" not in seen
    assert records == before


def test_the_stream_keeps_24_hours_and_a_reader_behind_the_horizon_is_told(runtime):
    ddb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    table = _table(ddb, 3)
    old = _stream(table)
    assert len(old) == 3
    runtime.advance_clock(24 * 3600 + 60)  # delivers what the app's streams hold first
    ddb.put_item(TableName=table, Item={"pk": {"S": "fresh"}, "sk": {"S": "x"}})
    kept = _stream(table)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in kept] == ["fresh"]
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"] == kept[0]["dynamodb"]["SequenceNumber"]
    with pytest.raises(ClientError) as behind:
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                   SequenceNumber=old[0]["dynamodb"]["SequenceNumber"])
    assert behind.value.response["Error"]["Code"] == "TrimmedDataAccessException"


def test_objects_moto_replaces_are_freed(cloud):
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord

    from local.moto_bounds import PackedRecord

    ddb = boto3.client("dynamodb")
    table = _table(ddb, 10)
    gc.collect()
    items_before = len(Item.instances_tracked)
    for n in range(200):
        _transaction(ddb, table, n % 5)  # the same few items, rewritten
    gc.collect()
    # each write replaces an item version; only the live ones (and the stream's) stay
    assert len(Item.instances_tracked) - items_before < 50
    # the stream still holds its records (24 hours), packed: moto's own record objects are freed
    shard = dynamodb_backends["123456789012"]["us-east-1"].tables[table].stream_shard
    assert len(shard.items) >= 200 and all(isinstance(r, PackedRecord) for r in shard.items)
    assert len(StreamRecord.instances_tracked) == 0


def test_the_stream_pump_goes_on_from_the_trim_horizon_as_lambda_does(runtime):
    from chalicelib.core.resources import MAIN_TABLE

    ddb = boto3.client("dynamodb")
    marker = f"TRIM#{uuid.uuid4().hex[:8]}"
    ddb.put_item(TableName=MAIN_TABLE.name, Item={"pk": {"S": marker}, "sk": {"S": "old"}, "kind": {"S": "probe"}})
    runtime.drain()
    sub = next(s for s in runtime.streams if s.table == MAIN_TABLE.name)
    delivered_up_to = sub.last_sequence
    runtime.advance_clock(24 * 3600 + 60)
    ddb.put_item(TableName=MAIN_TABLE.name, Item={"pk": {"S": marker}, "sk": {"S": "new"}, "kind": {"S": "probe"}})
    sub.last_sequence = str(int(delivered_up_to) - 1)  # as if the pump had stopped one record short: now trimmed
    sub.iterator = None
    failures = len(runtime.failures)
    ran = runtime.drain()
    assert ran["complete"]
    skipped = list(runtime.failures)[failures:]
    assert any(f["function"] == sub.name and "trim horizon" in f["error"] for f in skipped)
    delivered = [r for r in ran["ran"] if r["function"] == sub.name and r["ok"]]
    assert delivered  # the new record reached the function after the skip


def _pool_with(idp, users: int) -> str:
    """A pool with `users` users. The first five are made through the API; the rest are
    put straight into the in-process moto backend, which takes a millisecond per
    thousand instead of seconds."""
    from moto.cognitoidp.models import CognitoIdpUser, cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    pool = idp.create_user_pool(PoolName=f"cost-{uuid.uuid4().hex[:8]}", UsernameAttributes=["email"])["UserPool"]["Id"]
    idp.create_group(UserPoolId=pool, GroupName="g")
    for i in range(min(users, 5)):
        idp.admin_create_user(UserPoolId=pool, Username=f"u{i}@example.com", MessageAction="SUPPRESS")
    model = cognitoidp_backends[DEFAULT_ACCOUNT_ID][idp.meta.region_name].user_pools[pool]
    for i in range(5, users):
        user = CognitoIdpUser(pool, str(uuid.uuid4()), None, "CONFIRMED", [{"Name": "email", "Value": f"u{i}@example.com"}])
        model.users[user.username] = user
    return pool


def _signup_cost(idp, pool: str, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        email = f"new-{uuid.uuid4().hex[:8]}@example.com"
        started = time.perf_counter()
        idp.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool, Username=email, Password="Passw0rd-Long", Permanent=True)
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="g")
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def test_a_cognito_signup_costs_the_same_in_a_pool_of_20_000_as_of_10(cloud):
    idp = boto3.client("cognito-idp")
    small, large = _pool_with(idp, 10), _pool_with(idp, 20000)
    assert _signup_cost(idp, large) < 2 * _signup_cost(idp, small) + 0.002


def test_cognito_finds_users_by_email_after_changes_exactly_as_before(cloud):
    idp = boto3.client("cognito-idp")
    pool = _pool_with(idp, 5)
    found = idp.admin_get_user(UserPoolId=pool, Username="u3@example.com")
    assert {"Name": "email", "Value": "u3@example.com"} in found["UserAttributes"]
    with pytest.raises(ClientError) as taken:
        idp.admin_create_user(UserPoolId=pool, Username="u3@example.com", MessageAction="SUPPRESS")
    assert taken.value.response["Error"]["Code"] == "UsernameExistsException"
    idp.admin_update_user_attributes(UserPoolId=pool, Username="u3@example.com",
                                     UserAttributes=[{"Name": "email", "Value": "moved@example.com"}])
    assert idp.admin_get_user(UserPoolId=pool, Username="moved@example.com")["Username"] == found["Username"]
    with pytest.raises(ClientError):
        idp.admin_get_user(UserPoolId=pool, Username="u3@example.com")
    idp.admin_delete_user(UserPoolId=pool, Username="moved@example.com")
    with pytest.raises(ClientError):
        idp.admin_get_user(UserPoolId=pool, Username="moved@example.com")
    assert idp.admin_create_user(UserPoolId=pool, Username="u3@example.com", MessageAction="SUPPRESS")["User"]["Username"]


def _indexed_table(ddb, items: int) -> str:
    name = f"gsi-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "gs")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "gs", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
    )
    for start in range(0, items, 25):
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": f"p{i}"}, "sk": {"S": "s"}, "g": {"S": f"G{i % 500}"}, "gs": {"S": f"{i:06d}"},
                                     "data": {"S": "x" * 200}}}}
            for i in range(start, min(start + 25, items))
        ]})
    return name


def _gsi(ddb, table: str, value: str) -> list[str]:
    reply = ddb.query(TableName=table, IndexName="gsi", KeyConditionExpression="g = :v", ExpressionAttributeValues={":v": {"S": value}})
    return [i["pk"]["S"] for i in reply["Items"]]


def test_an_index_query_costs_the_same_on_10_000_items_as_on_10(cloud):
    ddb = boto3.client("dynamodb")
    small, large = _indexed_table(ddb, 10), _indexed_table(ddb, 10_000)
    for table in (small, large):  # the same answer from both: one item
        ddb.put_item(TableName=table, Item={"pk": {"S": "t"}, "sk": {"S": "s"}, "g": {"S": "target"}, "gs": {"S": "1"}})

    def cost(table: str) -> float:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            assert _gsi(ddb, table, "target") == ["t"]
            times.append(time.perf_counter() - started)
        return sorted(times)[len(times) // 2]

    assert cost(large) < 2 * cost(small) + 0.002


def test_a_table_query_costs_the_same_on_10_000_items_as_on_10_and_answers_in_order(cloud):
    ddb = boto3.client("dynamodb")
    small, large = _indexed_table(ddb, 10), _indexed_table(ddb, 10_000)
    for table in (small, large):  # one partition of three items, written out of order
        for sk in ("b", "c", "a"):
            ddb.put_item(TableName=table, Item={"pk": {"S": "part"}, "sk": {"S": sk}, "v": {"S": sk}})

    def query(table: str, **extra) -> list[str]:
        items = ddb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "part"}},
                          **extra)["Items"]
        return [i["sk"]["S"] for i in items]

    def cost(table: str) -> float:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            assert query(table) == ["a", "b", "c"]
            times.append(time.perf_counter() - started)
        return sorted(times)[len(times) // 2]

    assert cost(large) < 2 * cost(small) + 0.002
    assert query(large, ScanIndexForward=False) == ["c", "b", "a"]
    assert query(large, Limit=2) == ["a", "b"]
    ranged = ddb.query(TableName=large, KeyConditionExpression="pk = :p AND sk > :s",
                       ExpressionAttributeValues={":p": {"S": "part"}, ":s": {"S": "a"}})["Items"]
    assert [i["sk"]["S"] for i in ranged] == ["b", "c"]
    assert ddb.query(TableName=large, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "nobody"}})["Items"] == []


def test_an_index_query_answers_exactly_as_before_after_puts_updates_deletes_and_a_cancelled_transaction(cloud):
    ddb = boto3.client("dynamodb")
    table = _indexed_table(ddb, 1000)
    assert _gsi(ddb, table, "G7") == [f"p{i}" for i in range(7, 1000, 500)]
    ddb.update_item(TableName=table, Key={"pk": {"S": "p7"}, "sk": {"S": "s"}}, UpdateExpression="SET g = :v",
                    ExpressionAttributeValues={":v": {"S": "moved"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "p507"}, "sk": {"S": "s"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "new"}, "sk": {"S": "s"}, "g": {"S": "G7"}, "gs": {"S": "999999"}})
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "ghost"}, "sk": {"S": "s"}, "g": {"S": "G7"}, "gs": {"S": "000000"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "absent"}, "sk": {"S": "s"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert _gsi(ddb, table, "G7") == ["new"]
    assert _gsi(ddb, table, "moved") == ["p7"]
    expected = sorted(i["pk"]["S"] for i in ddb.scan(TableName=table, FilterExpression="g = :v",
                                                      ExpressionAttributeValues={":v": {"S": "G8"}})["Items"])
    assert sorted(_gsi(ddb, table, "G8")) == expected == ["p508", "p8"]


def test_the_index_shortcut_reads_motos_query_arguments_by_name_however_they_are_passed(cloud, monkeypatch):
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    from local import moto_gsi
    from local.moto_server import DYNAMODB_LOCK

    ddb = boto3.client("dynamodb")
    name = _indexed_table(ddb, 1000)
    table = dynamodb_backends["123456789012"]["us-east-1"].tables[name]
    shortcuts: list[str] = []
    candidates = moto_gsi._candidates

    def counted(table, attr, value):
        shortcuts.append(attr)
        return candidates(table, attr, value)

    monkeypatch.setattr(moto_gsi, "_candidates", counted)
    value = DynamoType({"S": "G7"})
    # Table.query's parameters, in moto 5.2's order
    args = {"hash_key": value, "range_comparison": None, "range_objs": [], "limit": None, "exclusive_start_key": None,
            "scan_index_forward": True, "projection_expressions": None, "index_name": "gsi", "consistent_read": False,
            "filter_expression": None, "hash_key_conditions": [("g", value)], "range_key_conditions": []}
    with DYNAMODB_LOCK:
        answers = [
            table.query(*list(args.values())[:10], hash_key_conditions=[("g", value)], range_key_conditions=[]),  # as moto calls it
            table.query(**dict(reversed(args.items()))),  # every argument by name
            table.query(*args.values()),  # every argument by position
        ]
    assert shortcuts == ["g", "g", "g"]
    assert [[i.hash_key.value for i in items] for items, *_ in answers] == [["p7", "p507"]] * 3
    assert _gsi(ddb, name, "G7") == ["p7", "p507"]  # and as a client asks


def test_the_index_shortcut_refuses_a_moto_whose_query_no_longer_takes_what_it_reads(monkeypatch):
    from moto.dynamodb.models.table import Table

    from local import moto_gsi

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
              projection_expressions, index=None, **kwargs):  # index_name renamed
        raise AssertionError("never called")

    monkeypatch.setattr(moto_gsi, "_installed", False)
    monkeypatch.setattr(Table, "query", query)
    with pytest.raises(moto_gsi.MotoChanged, match="index_name"):
        moto_gsi.install()
    assert Table.query is query  # nothing was wrapped
