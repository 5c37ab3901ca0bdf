"""Chinese and English strings of a clerk's pages: intake (employer report, registration),
finding a case, the check-in form, and the case page's notifications and provisional
deadlines. forms/i18n.py serves them with the other page strings."""

from __future__ import annotations

CLERK_TEXTS: dict[str, tuple[str, str]] = {
    # navigation
    "nav.find_case": ("查找案件", "Find a case"),
    "nav.employer_report": ("单位申报", "Employer report"),
    "nav.registration": ("失业登记", "Registration"),
    # intake forms
    "intake.employer_report_title": (
        "用人单位终止/解除劳动关系申报",
        "Employer's termination report",
    ),
    "intake.employer_report_help": (
        "用人单位应自终止或解除劳动关系之日起15日内报送；与失业登记任一先到，均归入同一案件。",
        "Due from the employer within 15 days of the separation; it joins the claimant's "
        "registration in one case, whichever comes first.",
    ),
    "intake.registration_title": (
        "失业登记与失业保险金申领",
        "Unemployment registration and claim",
    ),
    "intake.registration_help": (
        "失业人员应自收到终止或解除劳动关系证明之日起30日内办理；与单位申报归入同一案件。",
        "Due within 30 days of the termination notice; it joins the employer's report in one case.",
    ),
    "intake.employer": ("用人单位", "Employer"),
    "intake.former_employer": ("原用人单位（可选）", "Former employer (optional)"),
    "intake.former_employer_help": (
        "填写后，单位未按期申报时系统可提醒单位。",
        "Lets the system remind the employer if it has not reported.",
    ),
    "intake.claimant": ("失业人员", "Claimant"),
    "intake.uscc": ("统一社会信用代码", "Unified social credit code"),
    "intake.employer_name": ("单位名称", "Employer name"),
    "intake.national_id": ("公民身份号码", "Resident identity number"),
    "intake.name": ("姓名", "Name"),
    "intake.phone": ("联系电话", "Phone"),
    "intake.email": ("电子邮箱", "E-mail"),
    "intake.separation": ("终止/解除劳动关系", "Separation"),
    "intake.notice_date": ("书面通知日期", "Written notice date"),
    "intake.notice_date_optional": ("收到书面通知日期（可选）", "Notice received on (optional)"),
    "intake.contribution_months": ("累计缴费月数", "Contribution months"),
    "intake.carried_months": ("结转未领月数", "Unused months carried over"),
    "intake.carried_months_hint": (
        "以前失业期间尚未领取的月数，默认 0",
        "From an earlier entitlement; 0 if none",
    ),
    "intake.seeking_work": ("有求职要求", "Seeking work"),
    "intake.bank_account": ("收款银行账户", "Bank account for payments"),
    "intake.bank_code_hint": ("如 ICBC、CCB、ABC", "e.g. ICBC, CCB, ABC"),
    "intake.account_kind": ("账户类型", "Account kind"),
    "intake.kind_card": ("银行卡", "Bank card"),
    "intake.kind_account": ("银行账户", "Bank account"),
    "intake.submit_report": ("提交单位申报", "File the report"),
    "intake.submit_registration": ("提交失业登记", "File the registration"),
    "intake.employer_report_ok": ("单位申报已受理", "Employer report filed"),
    "intake.registration_ok": ("失业登记已受理", "Registration filed"),
    # finding a case
    "search.title": ("查找案件", "Find a case"),
    "search.q": ("案件编号、姓名或公民身份号码", "Case ID, name or identity number"),
    "search.hint": (
        "身份证号须填写完整的18位，仅以表单提交，不会出现在网址中。",
        "An identity number must be all 18 characters; it is sent in the form, never in "
        "the address.",
    ),
    "search.submit": ("查找", "Search"),
    "search.results": ("“{q}”的查找结果", "Results for “{q}”"),
    "search.updated": ("最近更新", "Last change"),
    "search.more": (
        "仅显示最近更新的 {n} 个，请缩小查找范围",
        "Only the {n} most recent are shown",
    ),
    "search.none": ("没有找到案件", "No case found"),
    # case page
    "case.opening": (
        "案件正在立案，页面将自动刷新。",
        "The case is being opened; this page reloads by itself.",
    ),
    "case.reload": ("刷新", "Reload"),
    "case.notifications": ("通知记录", "Notifications"),
    "case.no_notifications": ("暂无通知", "No notifications yet"),
    "note.channel": ("方式", "Channel"),
    "note.recipient": ("接收人", "Recipient"),
    "note.subject": ("主题", "Subject"),
    "note_channel.email": ("电子邮件", "e-mail"),
    "note_channel.sms": ("短信", "SMS"),
    "note_status.pending": ("待发送", "pending"),
    "note_status.sent": ("已发送", "sent"),
    "note_status.logged": ("已发送", "sent"),
    "note_status.no_contact": ("无联系方式", "no contact"),
    # check-ins
    "checkin.title": ("月度报到", "Monthly check-ins"),
    "checkin.none": ("尚无报到记录", "No check-in yet"),
    "checkin.on": ("报到日期", "Checked in on"),
    "checkin.channel": ("方式", "Channel"),
    "checkin.date": ("报到日期", "Check-in date"),
    "checkin.date_hint": ("默认为今天", "Today unless changed"),
    "checkin.submit": ("记录报到", "Record the check-in"),
    "checkin.ok": (
        "已记录第 {month} 个月报到（{on}）",
        "Check-in for month {month} recorded ({on})",
    ),
    "channel.counter": ("窗口", "at the counter"),
    "channel.online": ("网上", "online"),
    "channel.registration": ("失业登记（视为第 1 个月报到）", "registration (month 1's check-in)"),
    # what the benefit months write in the timeline
    "event.checked_in": ("报到", "checked in"),
    "event.check_in_reminder_sent": ("已发报到提醒", "check-in reminder sent"),
    "event.check_in_missed": ("未按时报到", "check-in missed"),
    "event.check_in_excused": ("未报到准予免责", "missed check-in excused"),
    "event.check_in_unexcused": ("未报到不予免责", "missed check-in not excused"),
    "event.check_in_waived": (
        "该月在核定前已结束，不计未报到",
        "month ended before the decision: not counted missed",
    ),
    "event.benefits_stopped": ("停止享受失业保险待遇", "benefits stopped"),
    "event.medical_enrolled": ("职工基本医疗保险参保", "medical insurance enrolled"),
    "event.medical_stopped": ("职工基本医疗保险停保", "medical insurance stopped"),
    "event.medical_cash_option": ("医疗保险费按月发给本人", "medical premium paid in cash"),
    "case.stop_notice": ("停止待遇决定书", "Stop notice"),
    "outcome.case_stopped": ("已停止待遇，不再审核", "benefits stopped: not judged"),
    "event.payment_owed": ("应付待遇", "payment owed"),
    "event.payment_sent": ("已发送银行", "payment sent"),
    "event.payment_settled": ("已到账", "payment settled"),
    "event.payment_returned": ("支付退回", "payment returned"),
    "event.payment_cancelled": ("支付取消", "payment cancelled"),
    "closure.missed_check_ins": ("连续两次未按时报到", "two missed check-ins"),
}
