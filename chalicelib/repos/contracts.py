"""Contracts in partition `CONTRACT#<id>`:
- `CONTRACT`: the contract. gsi1 `CONTRACTS#<employer>`, gsi2 `CONTRACTS#<freelancer>`
  list each party's contracts, newest first.
- `MSG#<message_id>`: the work chat, in time order; gsi1 `MESSAGES#<sender>`.
- `REVIEW#<reviewer>`: one review per party (the key makes "once" hold); gsi2
  `REVIEWS#<reviewee>` lists the reviews a user received, gsi1 `REVIEWS_BY#<reviewer>`.
And in each party's partition, `USER#<a>` / `PARTY#<b>`: a and b were hired together,
which is what lets each see the other's `hired` profile fields.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib.domain import marketplace as rules
from chalicelib.repos import db
from chalicelib.repos.db import Entity, time_key
from chalicelib.repos.users import UserItem, user_pk

if TYPE_CHECKING:
    from chalicelib.repos.ledger import EscrowSettlement


class Contract(Entity, discriminator="contract"):
    contract_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    bid_id = UnicodeAttribute()
    employer_id = UnicodeAttribute()
    freelancer_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()
    escrow_status = UnicodeAttribute(default="unfunded")
    dispute_reason_enc = UnicodeAttribute(null=True)  # sealed with the key of whoever opened it
    disputed_by = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class Party(Entity, discriminator="party"):
    user_id = UnicodeAttribute()
    other_id = UnicodeAttribute()
    contract_id = UnicodeAttribute()
    since = NumberAttribute()


class Message(Entity, discriminator="message"):
    message_id = UnicodeAttribute()
    contract_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    body_enc = UnicodeAttribute()  # sealed with the sender's key
    at = NumberAttribute()


class Review(Entity, discriminator="review"):
    contract_id = UnicodeAttribute()
    reviewer_id = UnicodeAttribute()
    reviewee_id = UnicodeAttribute()
    rating = NumberAttribute()
    comment_enc = UnicodeAttribute(null=True)  # sealed with the reviewer's key
    at = NumberAttribute()


def of_party(user_id: str, role: str) -> list[Contract]:
    """The contracts of a party: an employer's (gsi1) or a freelancer's (gsi2), newest first."""
    index = Contract.gsi1 if role == "employer" else Contract.gsi2
    return list(index.query(f"CONTRACTS#{user_id}"))


def contract_pk(contract_id: str) -> str:
    return f"CONTRACT#{contract_id}"


def key(contract_id: str) -> tuple[str, str]:
    return contract_pk(contract_id), "CONTRACT"


def party_key(user_id: str, other_id: str) -> tuple[str, str]:
    return user_pk(user_id), f"PARTY#{other_id}"


def new(contract_id: str, project_id: str, bid_id: str, employer_id: str, freelancer_id: str, amount: int, currency: str, at: float) -> Contract:
    sort = f"{time_key(at)}#{contract_id}"
    return Contract(
        *key(contract_id), contract_id=contract_id, project_id=project_id, bid_id=bid_id, employer_id=employer_id,
        freelancer_id=freelancer_id, amount=amount, currency=currency, status="active", escrow_status="unfunded",
        created_at=at, updated_at=at, gsi1pk=f"CONTRACTS#{employer_id}", gsi1sk=sort, gsi2pk=f"CONTRACTS#{freelancer_id}", gsi2sk=sort,
    )


def parties(contract: Contract, at: float) -> list[Party]:
    return [
        Party(*party_key(a, b), user_id=a, other_id=b, contract_id=contract.contract_id, since=at)
        for a, b in ((contract.employer_id, contract.freelancer_id), (contract.freelancer_id, contract.employer_id))
    ]


def message(contract_id: str, message_id: str, sender_id: str, body_enc: str, at: float) -> Message:
    return Message(
        contract_pk(contract_id), f"MSG#{message_id}", message_id=message_id, contract_id=contract_id, sender_id=sender_id,
        body_enc=body_enc, at=at, gsi1pk=f"MESSAGES#{sender_id}", gsi1sk=f"{time_key(at)}#{message_id}",
    )


def review(contract_id: str, reviewer_id: str, reviewee_id: str, rating: int, comment_enc: str | None, at: float) -> Review:
    sort = f"{time_key(at)}#{contract_id}"
    return Review(
        contract_pk(contract_id), f"REVIEW#{reviewer_id}", contract_id=contract_id, reviewer_id=reviewer_id, reviewee_id=reviewee_id,
        rating=rating, comment_enc=comment_enc, at=at, gsi1pk=f"REVIEWS_BY#{reviewer_id}", gsi1sk=sort,
        gsi2pk=f"REVIEWS#{reviewee_id}", gsi2sk=sort,
    )


def of_user(user_id: str, role: str, limit: int, start: dict | None) -> tuple[list[Contract], dict | None]:
    index = Contract.gsi1 if role == "employer" else Contract.gsi2
    result = index.query(f"CONTRACTS#{user_id}", scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def messages(contract_id: str, limit: int, start: dict | None) -> tuple[list[Message], dict | None]:
    result = Message.query(
        contract_pk(contract_id), Message.sk.startswith("MSG#"), scan_index_forward=False, limit=limit, page_size=limit,
        last_evaluated_key=start,
    )
    return list(result), result.last_evaluated_key


def reviews_of(user_id: str, limit: int, start: dict | None) -> tuple[list[Review], dict | None]:
    result = Review.gsi2.query(f"REVIEWS#{user_id}", scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def move(contract: Contract, new_state: str, now: float, *, fields: dict[str, Any] | None = None, record: Entity | None = None,
         unfunded_only: bool = False, settlement: EscrowSettlement | None = None) -> None:
    """A transition of the state machine, in one transaction: the contract `new_state`
    (with `fields` set) while its status is still the one read (and, `unfunded_only`, its
    escrow never funded), its project closed if it is cancelled, and `record` (an audit
    entry) saved. `settlement` (the escrow's release or refund, `repos.ledger.add_settlement`)
    empties the funded escrow in the same transaction: the escrow must then be funded.
    `db.Conflict` when the contract changed meanwhile."""
    from chalicelib.repos import ledger, projects

    condition = Contract.status == contract.status
    if unfunded_only:
        condition = condition & (Contract.escrow_status == "unfunded")
    try:
        with db.transaction() as tx:
            actions = [Contract.status.set(new_state), Contract.updated_at.set(now),
                       *(getattr(Contract, name).set(value) for name, value in (fields or {}).items())]
            if settlement is not None:
                actions += ledger.add_settlement(tx, settlement, now)
                condition = condition & (Contract.escrow_status == "funded")
            tx.update(contract, actions=actions, condition=condition)
            if new_state == rules.CANCELLED:
                projects.close_with_contract(tx, contract.project_id, contract.contract_id, now)
            if record is not None:
                tx.save(record)
    except TransactWriteError:
        raise db.Conflict("contract") from None


REVIEW, REVIEWEE = "review", "reviewee"  # what refused `post_review`


def post_review(item: Review) -> None:
    """The review (one per party: `db.Conflict(REVIEW)` for a second) and the reviewee's
    rating counting it (`db.Conflict(REVIEWEE)` when their account is gone), in one transaction."""
    try:
        with db.transaction() as tx:
            tx.save(item, condition=Review.pk.does_not_exist())
            tx.update(
                UserItem(user_pk(item.reviewee_id), "ACCOUNT"),
                actions=[UserItem.rating_sum.add(item.rating), UserItem.rating_count.add(1)],
                condition=UserItem.pk.exists(),
            )
    except TransactWriteError as exc:
        raise db.Conflict(REVIEW if db.failed_at(exc, 0) else REVIEWEE) from None
