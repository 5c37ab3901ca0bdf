"""Every string of the staff pages, in Chinese (the default) and English.

`translator(lang)` gives the `t(key, **params)` the templates call. Enumerated values
(statuses, task kinds, outcomes, event types...) are keys like `kind.review_claim`; an
unknown value falls back to the raw value, an unknown plain key to the key itself (the
tests check that every key the templates use exists in both languages)."""

from __future__ import annotations

from collections.abc import Callable

from domain.review import REJECTION_REASONS
from forms.calendar_texts import CALENDAR_TEXTS
from forms.clerk_texts import CLERK_TEXTS
from forms.labels import LABELS
from forms.recovery_texts import RECOVERY_TEXTS
from forms.stop_texts import STOP_TEXTS

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

_M: dict[str, tuple[str, str]] = {
    # layout and navigation
    "app.title": ("失业保险待遇经办系统", "Unemployment-insurance claims"),
    "nav.my_tasks": ("我的任务", "My tasks"),
    "nav.group_tasks": ("本组任务", "My group's tasks"),
    "nav.supervisor": ("主管工作台", "Supervisor"),
    "nav.logout": ("退出", "Sign out"),
    "nav.switch_lang": ("English", "中文"),
    "nav.signed_in_as": ("当前用户", "Signed in as"),
    # login
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.throttled": (
        "登录失败次数过多，请稍后再试",
        "Too many failed sign-ins; please try again later",
    ),
    "login.otp_title": ("两步验证", "Two-step verification"),
    "login.otp": ("动态验证码 (6 位)", "One-time code (6 digits)"),
    "login.otp_enrol": (
        "请将以下密钥添加到身份验证器应用，然后输入它生成的验证码",
        "Add this secret to your authenticator app, then enter the code it shows",
    ),
    "login.signed_out": ("您已退出登录", "You have signed out"),
    "login.required": ("请先登录", "Please sign in first"),
    # errors
    "error.title": ("出错了", "Something went wrong"),
    "error.csrf": (
        "表单已过期或来源不明（CSRF 校验失败），请返回重新打开页面后再提交。",
        "The form has expired or did not come from this site (CSRF check failed); "
        "go back, reload the page and try again.",
    ),
    "error.forbidden": ("您没有执行此操作的权限", "You may not do this"),
    "error.not_found": ("未找到", "Not found"),
    "error.back": ("返回我的任务", "Back to my tasks"),
    "error.form": ("请更正标出的错误", "Please correct the marked errors"),
    "error.required": ("必填", "Required"),
    "error.integer": ("请输入整数", "Enter a whole number"),
    "error.date": ("请输入日期（年-月-日）", "Enter a date (YYYY-MM-DD)"),
    "error.reasons_required": (
        "请至少选择一项不予核定理由",
        "Choose at least one reason for the rejection",
    ),
    "error.unavailable": ("此功能暂不可用", "This is not available yet"),
    # worklist
    "list.my_title": ("我的任务", "My tasks"),
    "list.group_title": ("本组任务", "My group's tasks"),
    "list.group": ("组", "Group"),
    "list.empty": ("没有符合条件的任务", "No tasks match"),
    "list.total": ("共 {n} 项", "{n} in all"),
    "list.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "list.prev": ("上一页", "Previous"),
    "list.next": ("下一页", "Next"),
    "filter.title": ("筛选", "Filter"),
    "filter.kind": ("任务类型", "Kind"),
    "filter.status": ("状态", "Status"),
    "filter.escalated": ("已升级", "Escalated"),
    "filter.due_after": ("到期日起", "Due from"),
    "filter.due_before": ("到期日止", "Due before"),
    "filter.case_id": ("案件编号", "Case ID"),
    "filter.sort": ("排序", "Sort by"),
    "filter.apply": ("筛选", "Apply"),
    "filter.reset": ("清除", "Reset"),
    "filter.any": ("全部", "Any"),
    "filter.yes": ("是", "Yes"),
    "filter.no": ("否", "No"),
    "filter.active": ("待办（未完成）", "Active (open or claimed)"),
    "filter.saved": ("已保存的筛选", "Saved filters"),
    "filter.save_as": ("保存当前筛选为", "Save this filter as"),
    "filter.save": ("保存", "Save"),
    "filter.delete": ("删除", "Delete"),
    "filter.saved_ok": ("筛选“{name}”已保存", "Filter “{name}” saved"),
    "filter.deleted_ok": ("筛选已删除", "Filter deleted"),
    "sort.due": ("到期时间", "Due date"),
    "sort.priority": ("优先级", "Priority"),
    "col.task": ("任务", "Task"),
    "col.case": ("案件", "Case"),
    "col.claimant": ("申领人", "Claimant"),
    "col.national_id": ("身份证号", "ID number"),
    "col.group": ("组", "Group"),
    "col.assignee": ("经办人", "Assignee"),
    "col.status": ("状态", "Status"),
    "col.priority": ("优先级", "Priority"),
    "col.due": ("到期", "Due"),
    "col.when": ("时间", "When"),
    "col.who": ("操作人", "Who"),
    "col.what": ("事项", "What"),
    "col.why": ("原因", "Why"),
    "col.details": ("详情", "Details"),
    "due.overdue": ("已逾期", "overdue"),
    "due.soon": ("即将到期", "due soon"),
    "due.none": ("无期限", "no due date"),
    "escalated": ("已升级", "escalated"),
    "system": ("系统", "system"),
    # task page
    "task.title": ("任务", "Task"),
    "task.claim": ("领取", "Claim"),
    "task.unclaim": ("退回组内", "Put back"),
    "task.claimed_ok": ("已领取任务", "Task claimed"),
    "task.unclaimed_ok": ("已退回组内", "Task put back in the group's queue"),
    "task.completed_ok": ("任务已完成：{outcome}", "Task completed: {outcome}"),
    "task.closed": ("此任务已完成", "This task is completed"),
    "task.not_yours": ("此任务由 {who} 办理", "This task is held by {who}"),
    "task.decide": ("办理", "Decide"),
    "task.outcome": ("办理结果", "Outcome"),
    "task.reason": ("理由 / 说明", "Reason / note"),
    "task.created": ("创建时间", "Opened"),
    "task.completed_by": ("办理人", "Decided by"),
    "task.open_case": ("查看案件", "Open the case"),
    "review.approve": ("核定（批准）", "Approve"),
    "review.reject": ("不予核定", "Reject"),
    "review.correct_months": ("更正缴费月数（可选）", "Corrected contribution months (optional)"),
    "review.correct_reason": ("更正理由", "Reason for the correction"),
    "review.reasons": ("不予核定理由", "Reasons for the rejection"),
    "review.reason_text": ("补充说明", "Explanation"),
    "overdue.ordered": ("责令限期办理", "Order the employer"),
    "overdue.days": ("期限（天）", "Time limit (days)"),
    "overdue.resolved": ("登记核实情况", "Record the facts"),
    "overdue.reason_code": ("离职原因", "Separation reason"),
    "overdue.months": (
        "缴费月数（用人单位未申报时必填）",
        "Contribution months (if never reported)",
    ),
    # case page
    "case.title": ("案件", "Case"),
    "case.status": ("状态", "Status"),
    "case.closure_reason": ("终结原因", "Closure reason"),
    "case.region": ("统筹地区", "Region"),
    "case.employer": ("用人单位", "Employer"),
    "case.separation_date": ("离职日期", "Separation date"),
    "case.registration_date": ("失业登记日期", "Registered on"),
    "case.deadlines": ("期限", "Deadlines"),
    "case.deadline": ("期限", "Deadline"),
    "case.due_date": ("截止日期", "Due date"),
    "case.reminders_sent": ("已发提醒", "Reminders sent"),
    "case.met_on": ("完成于", "Met on"),
    "case.missed": ("已错过", "missed"),
    "case.extensions": ("延期", "Extensions"),
    "case.extend": ("延期", "Extend"),
    "case.proposal": ("系统预审与拟核定待遇", "System pre-check and proposed entitlement"),
    "case.eligible": ("预审结论", "Pre-check"),
    "case.check": ("审核项", "Check"),
    "case.passed": ("结果", "Result"),
    "case.source": ("依据", "Source"),
    "case.months": ("领取月数", "Months"),
    "case.monthly_amount": ("月领取金额（元）", "Monthly amount (yuan)"),
    "case.start": ("起始日期", "Start"),
    "case.end": ("终止日期", "End"),
    "case.policy_version": ("政策版本", "Policy version"),
    "case.entitlement": ("核定待遇", "Entitlement"),
    "case.no_entitlement": ("尚未核定", "Not fixed yet"),
    "case.decision": ("决定", "Decision"),
    "case.no_decision": ("尚未作出决定", "No decision yet"),
    "case.decided_by": ("决定人", "Decided by"),
    "case.decided_at": ("决定时间", "Decided at"),
    "case.reasons": ("理由", "Reasons"),
    "case.notice": ("决定通知书", "Decision notice"),
    "case.notice_html": ("查看 / 打印", "View / print"),
    "case.notice_pdf": ("下载 PDF", "Download PDF"),
    "case.payments": ("支付记录", "Payments"),
    "case.no_payments": ("暂无支付记录", "No payments yet"),
    "pay.month": ("月份", "Month"),
    "pay.period": ("期间", "Period"),
    "pay.category": ("类别", "Category"),
    "pay.amount": ("金额（元）", "Amount (yuan)"),
    "case.events": ("案件时间线", "Timeline"),
    "case.audit": ("审计记录", "Audit trail"),
    "case.tasks": ("任务", "Tasks"),
    "check.passed": ("符合", "met"),
    "check.failed": ("不符合", "not met"),
    "check.unknown": ("待定", "unknown"),
    # supervisor page
    "sup.title": ("主管工作台", "Supervisor"),
    "sup.queue": ("升级队列（最早到期在前）", "Escalation queue (oldest due first)"),
    "sup.assign": ("指派", "Assign"),
    "sup.assign_to": ("指派给", "Assign to"),
    "sup.assigned_ok": ("已指派给 {who}", "Assigned to {who}"),
    "sup.no_candidates": ("没有可办理此任务的用户", "Nobody may work this task"),
    "sup.extend_title": ("延长期限", "Extend a running deadline"),
    "sup.extend_days": ("延长天数", "Days"),
    "sup.extend_submit": ("延期", "Extend"),
    "sup.extended_ok": ("期限已延长 {days} 天", "Deadline extended by {days} days"),
    # finance pages
    "nav.finance": ("财务", "Finance"),
    "fin.title": ("财务工作台", "Finance"),
    "fin.runs": ("支付批次", "Payment runs"),
    "fin.run": ("支付批次", "Payment run"),
    "fin.returns": ("退回款项", "Returned payments"),
    "fin.funds": ("基金账目", "Funds"),
    "fin.fund": ("基金", "Fund"),
    "fin.no_entries": ("暂无账目", "No ledger entries yet"),
    "fin.day_totals": ("{day} 到账汇总（账账相符）", "Settled on {day} (ledger totals)"),
    "fin.none_settled": ("今日尚无到账", "Nothing settled today"),
    "fin.sum": ("合计", "Total"),
    "fin.run_id": ("批次号", "Run ID"),
    "fin.region": ("地区", "Region"),
    "fin.status": ("状态", "Status"),
    "fin.count": ("笔数", "Count"),
    "fin.total": ("总金额", "Total"),
    "fin.totals": ("批次汇总", "Run totals"),
    "fin.by_category": ("分类金额", "By category"),
    "fin.by_status": ("按状态", "By status"),
    "fin.released_by": ("发放人", "Released by"),
    "fin.approved_by": ("复核人", "Approved by"),
    "fin.created": ("创建", "Created"),
    "fin.submitted": ("提交银行", "Submitted"),
    "fin.completed": ("完成", "Completed"),
    "fin.tasks": ("批次任务", "Run tasks"),
    "fin.no_tasks": ("暂无任务", "No tasks"),
    "fin.task": ("任务", "Task"),
    "fin.transactions": ("交易明细", "Transactions"),
    "fin.e2e": ("交易号", "End-to-end ID"),
    "fin.month": ("月份", "Month"),
    "fin.category": ("类别", "Category"),
    "fin.amount": ("金额", "Amount"),
    "fin.account": ("账户", "Account"),
    "fin.returned_reason": ("退回原因", "Return reason"),
    "fin.no_returns": ("没有退回款项", "No returned payments"),
    "fin.bank_code": ("银行代码", "Bank code"),
    "fin.account_number": ("银行账号", "Account number"),
    "fin.account_name": ("户名", "Account name"),
    "fin.survivor_document": (
        "遗属证明编号（户名非申领人本人时）",
        "Survivor's document no. (when the holder is not the claimant)",
    ),
    # reconciliation page
    "recon.title": ("对账", "Reconciliation"),
    "recon.day": ("{day} 银行对账单与账务核对", "{day}: bank statement against the ledger"),
    "recon.agree": ("账账相符", "Books agree"),
    "recon.disagree": ("账账不符", "Books disagree"),
    "recon.not_reconciled": ("尚未对账", "Not reconciled yet"),
    "recon.at": ("对账时间 {at}", "reconciled {at}"),
    "recon.ledger": ("账务到账金额", "Ledger settled"),
    "recon.bank": ("对账单核对金额", "Matched on statement"),
    "recon.difference": ("差额", "Difference"),
    "recon.nothing": ("当日无到账款项", "Nothing settled that day"),
    "recon.mismatches": ("不符项", "Mismatches"),
    "recon.open": ("未处理 {n}", "{n} open"),
    "recon.open_col": ("未处理", "Open"),
    "recon.no_mismatches": ("没有不符项", "No mismatches"),
    "recon.side": ("不符类型", "Kind"),
    "recon_side.ledger_only": ("账务有、对账单无", "In the ledger, not on the statement"),
    "recon_side.bank_only": ("对账单有、账务无", "On the statement, not in the ledger"),
    "recon_side.amount": ("金额不符", "Amounts differ"),
    "recon.detail": ("说明", "Detail"),
    "recon.start_title": ("手工对账", "Reconcile a day"),
    "recon.start_help": (
        "每日 6:00 自动核对前一日；此处可对已过去的某一日立即对账（每日仅一次）。",
        "Each day at 06:00 the day before is reconciled; here a past day can be reconciled now"
        " (once per day).",
    ),
    "recon.day_field": ("日期", "Day"),
    "recon.start": ("开始对账", "Reconcile"),
    "recon.started": ("{day} 对账已开始", "Reconciliation of {day} started"),
    "recon.past_day_only": ("只能对已过去的日期对账", "Only a day that has passed"),
    "recon.days": ("最近对账", "Recent days"),
    "recon.none_yet": ("尚无对账记录", "No day reconciled yet"),
    "recon.matched": ("相符笔数", "Matched"),
    "recon_status.reconciled": ("相符", "reconciled"),
    "recon_status.mismatched": ("有不符", "mismatched"),
}

_M.update(LABELS)
_M.update(CLERK_TEXTS)
_M.update(CALENDAR_TEXTS)
_M.update(RECOVERY_TEXTS)
_M.update(STOP_TEXTS)
for _code, (_zh, _en) in REJECTION_REASONS.items():
    _M[f"rejection.{_code}"] = (_zh, _en)

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {k: v[0] for k, v in _M.items()},
    "en": {k: v[1] for k, v in _M.items()},
}


def normalize(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def translate(lang: str, key: str, **params: object) -> str:
    """The text for `key` in `lang`; an enumerated `prefix.value` falls back to `value`."""
    text = MESSAGES[normalize(lang)].get(key)
    if text is None:
        return key.split(".", 1)[1] if "." in key else key
    return text.format(**params) if params else text


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    return t
