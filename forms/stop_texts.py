"""Staff page texts of stop events (issue 11: the clerk's form on the case page)."""

from __future__ import annotations

from domain.stops import STOP_LABELS_EN, STOP_LABELS_ZH, STOP_TYPES

STOP_TEXTS: dict[str, tuple[str, str]] = {
    "stop.title": ("停止待遇事项", "Stop event"),
    "stop.help": (
        "记录领取人重新就业、应征服兵役、移居境外、享受养老保险待遇、被判刑收监执行、拒绝介绍就业、"
        "自谋职业或死亡，以及生效日期和证明材料。",
        "Record that the claimant found work, was called up, emigrated, drew a pension, went to"
        " prison, refused an offer, became self-employed or died, with the effective day and"
        " the evidence.",
    ),
    "stop.type": ("事项", "Event"),
    "stop.effective_date": ("生效日期", "Effective day"),
    "stop.evidence": ("证明材料编号", "Evidence (document reference)"),
    "stop.dependents": ("需供养直系亲属人数（死亡）", "Dependents (death)"),
    "stop.public_service": ("因公益事业死亡", "Died in public service"),
    "stop.unlawful": ("因违法犯罪死亡", "Died in the course of a crime"),
    "stop.survivor": ("家属收款账户（死亡）", "Survivor's account (death)"),
    "stop.bank_code": ("开户行代码", "Bank code"),
    "stop.account_number": ("账号", "Account number"),
    "stop.account_name": ("户名", "Account name"),
    "stop.uscc": ("营业执照统一社会信用代码（自谋职业）", "Business licence USCC (self-employed)"),
    "stop.submit": ("记录事项", "Record the event"),
    "stop.ok": ("已记录：{type}（{day} 起）", "Recorded: {type} (from {day})"),
    "kind.refused_offer_review": ("拒绝介绍就业待确认", "Refused offer to confirm"),
    "kind.death_grants_review": ("丧葬补助金和抚恤金审批", "Death grants to approve"),
    "kind.lump_sum_review": ("一次性领取审批", "Lump sum to approve"),
    **{f"stop_type.{k}": (STOP_LABELS_ZH[k], STOP_LABELS_EN[k]) for k in STOP_TYPES},
    **{f"closure.{k}": (STOP_LABELS_ZH[k], STOP_LABELS_EN[k]) for k in STOP_TYPES},
}
