"""Signing in and out of the staff pages, CSRF and the language switch, through the real app."""

from __future__ import annotations

import httpx

from tests.pages.helpers import csrf_of, page_login


async def test_pages_redirect_to_login_when_not_signed_in(api: httpx.AsyncClient) -> None:
    resp = await api.get("/staff/my?kind=review_claim")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/staff/login?next=%2Fstaff%2Fmy%3Fkind%3Dreview_claim"
    assert (await api.get("/staff/cases/x")).status_code == 303
    assert (await api.get("/staff")).headers["location"] == "/staff/my"


async def test_login_sets_a_strict_session_cookie_and_logout_clears_it(
    api: httpx.AsyncClient,
) -> None:
    form = await api.get("/staff/login")
    token = csrf_of(form.text)
    wrong = await api.post(
        "/staff/login",
        data={"username": "reviewer", "password": "nope", "csrf_token": token},
    )
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text and 'value="reviewer"' in wrong.text
    assert "staff_session" not in api.cookies

    ok = await api.post(
        "/staff/login",
        data={
            "username": "reviewer",
            "password": "reviewer",
            "csrf_token": token,
            "next": "/staff/group",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/group"
    cookie = ok.headers["set-cookie"].lower()
    assert "staff_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    page = await api.get("/staff/group")
    assert page.status_code == 200 and "李审核" in page.text and "本组任务" in page.text

    off_site = await api.post(
        "/staff/login",
        data={
            "username": "reviewer",
            "password": "reviewer",
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert off_site.headers["location"] == "/staff"

    page = await api.get("/staff/my")  # a new session: its own CSRF token
    out = await api.post("/staff/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/staff/login"
    assert "staff_session" not in api.cookies
    assert (await api.get("/staff/my")).status_code == 303
    assert "您已退出登录" in (await api.get("/staff/login")).text


async def test_a_post_without_the_sessions_csrf_token_is_refused_with_403(
    api: httpx.AsyncClient,
) -> None:
    await page_login(api, "supervisor")
    page = await api.get("/staff/my")
    missing = await api.post("/staff/logout", data={})
    assert missing.status_code == 403 and "CSRF" in missing.text
    forged = await api.post("/staff/logout", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    login_form_token = csrf_of((await api.get("/staff/login")).text)
    other_session = await api.post("/staff/logout", data={"csrf_token": login_form_token})
    assert other_session.status_code == 403
    assert (await api.get("/staff/my")).status_code == 200  # still signed in: nothing changed
    assert (
        await api.post("/staff/logout", data={"csrf_token": csrf_of(page.text)})
    ).status_code == 303
    no_token_login = await api.post(
        "/staff/login", data={"username": "supervisor", "password": "supervisor"}
    )
    assert no_token_login.status_code == 403


async def test_chinese_by_default_and_english_by_the_switch(api: httpx.AsyncClient) -> None:
    await page_login(api, "clerk")
    zh = await api.get("/staff/my")
    assert "我的任务" in zh.text and 'lang="zh-CN"' in zh.text
    switch = await api.get("/staff/lang/en", params={"next": "/staff/my"})
    assert switch.status_code == 303 and switch.headers["location"] == "/staff/my"
    en = await api.get("/staff/my")
    assert "My tasks" in en.text and "我的任务" not in en.text and 'lang="en"' in en.text
    await api.get("/staff/lang/zh", params={"next": "https://evil.example/"})
    assert "我的任务" in (await api.get("/staff/my")).text
