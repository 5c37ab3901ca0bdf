"""Chinese and English strings of the holiday calendar: the provisional-deadline badge and
its explanation, and the administrator's page for loading a year (forms/i18n.py serves them)."""

from __future__ import annotations

CALENDAR_TEXTS: dict[str, tuple[str, str]] = {
    # provisional deadlines (case page, task page, worklists)
    "prov.badge": ("暂定", "provisional"),
    "prov.why": (
        "国务院 {years} 年节假日安排尚未载入，此期限暂仅顺延周末；载入后将自动重新计算。",
        "The State Council's holiday schedule for {years} is not loaded; weekends only were "
        "skipped. The deadline is recomputed once the year is loaded.",
    ),
    "prov.why_past": (
        "此期限计算时国务院 {years} 年节假日安排尚未载入，仅顺延了周末。",
        "Computed before the State Council's holiday schedule for {years} was loaded: weekends "
        "only were skipped.",
    ),
    "prov.why_tasks": (
        "标“暂定”的到期时间所依据的期限，其年度国务院节假日安排尚未载入，暂仅顺延周末；"
        "载入后将自动重新计算。",
        "Due times marked provisional come from a deadline whose year's State Council holiday "
        "schedule is not loaded; weekends only were skipped. They are recomputed once the year "
        "is loaded.",
    ),
    # the administrator's calendar page
    "nav.calendar": ("节假日安排", "Holiday calendar"),
    "cal.title": ("法定节假日安排", "Statutory holiday calendar"),
    "cal.years": ("已知年度", "Known years"),
    "cal.year": ("年度", "Year"),
    "cal.source": ("来源", "Source"),
    "cal_source.package": ("软件包内置（chinese-calendar）", "shipped (chinese-calendar)"),
    "cal_source.file": ("政策文件（policy/holidays）", "policy file (policy/holidays)"),
    "cal_source.loaded": ("管理员载入", "loaded by an administrator"),
    "cal.holidays": ("放假日", "Days off"),
    "cal.workdays": ("调休上班日", "Adjusted workdays"),
    "cal.version": ("版本", "Version"),
    "cal.loaded": ("载入人 / 时间", "Loaded by / at"),
    "cal.load_title": ("载入年度安排", "Load a year's schedule"),
    "cal.load_help": (
        "国务院办公厅公布某年部分节假日安排的通知后，在此载入该年度：每个放假日（含调休休息日）"
        "及名称，以及调休上班的周末日。格式为 TOML（同 policy/holidays/）或 JSON。载入后，"
        "涉及该年度的暂定期限将自动重新计算。",
        "When the State Council publishes a year's holiday notice, load that year here: every "
        "day off (with the rest days of each block) with its name, and the weekend days that "
        "are worked. TOML (as in policy/holidays/) or JSON. Provisional deadlines in that year "
        "are recomputed once it is loaded.",
    ),
    "cal.document": ("年度安排（粘贴）", "Schedule (paste)"),
    "cal.upload": ("或上传文件", "or upload a file"),
    "cal.submit": ("校验并载入", "Check and load"),
    "cal.loaded_ok": (
        "{year} 年已载入（版本 {version}），已通知 {cases} 个案件重新计算期限",
        "{year} loaded (version {version}); {cases} cases told to recompute their deadlines",
    ),
    "cal.unchanged_ok": (
        "{year} 年的这份安排此前已载入，已再次通知 {cases} 个案件",
        "This schedule for {year} was loaded before; {cases} cases told again",
    ),
    "cal.show_days": ("查看日期", "Show the days"),
    "error.not_utf8": ("文件不是 UTF-8 文本", "The file is not UTF-8 text"),
    "error.document_required": ("请粘贴或上传年度安排", "Paste or upload the year's schedule"),
    "event.deadline_recomputed": ("期限重新计算", "deadline recomputed"),
    "event.calendar_year_loaded": ("载入节假日年度安排", "holiday year loaded"),
}
