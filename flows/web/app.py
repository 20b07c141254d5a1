"""The web workspace's routes. Each is thin: read the request, call the service the CLI calls
(or one of `flows.web.actions` / `flows.web.workspace`), render a Jinja2 template.

Security: every page but /dang-nhap needs a logged-in, active user (else a redirect to the
login page); viewers read, editors act, admins manage; every POST carries the session's CSRF
token (checked for the whole app by one dependency); files are served only by the content
hash of a stored blob; failed logins are rate limited.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pathvalidate import sanitize_filename
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from config.campaign import Campaign
from flows.app import App
from flows.errors import FlowsError
from flows.history import UnknownRecipient
from flows.intake.review import ReviewError, assign_item, dismiss_item
from flows.outbound.requests import UnfinishedRequest
from flows.report import build_report
from flows.web import actions, workspace
from flows.web.filters import install
from flows.web.security import LoginLimiter, login_name, may, new_token, same_token, verify_password
from flows.web.viewer import NotViewable
from flows.web.viewer import view as render_view
from parsers.errors import ParserError
from parsers.scan import page_crop
from parsers.textnorm import fold
from storage.models import User, utcnow
from storage.users import ROLE_LABELS, end_sessions, user_by_name
from storage.workspace import blob_campaign, blob_filename, known_blob

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SESSION_COOKIE = "baocao_phien"
SESSION_HOURS = 10


@dataclass(frozen=True)
class Person:
    """The logged-in user, as a route sees them."""

    id: int
    name: str
    role: str

    @property
    def can_act(self) -> bool:
        return may(self.role, "editor")

    @property
    def is_admin(self) -> bool:
        return may(self.role, "admin")


class LoginRequired(FlowsError):
    """No (valid) session: the person is sent to the login page."""


class Forbidden(FlowsError):
    """Logged in, but the role does not allow this (`needed`: the role the action needs)."""

    def __init__(self, needed: str) -> None:
        super().__init__(needed)
        self.needed = needed


def create_app(app: App, *, secret_key: str, secure_cookies: bool = False, on_report: Any = None) -> FastAPI:
    """The ASGI application over one baocao `App` (same database and services as the CLI).
    `on_report(app, campaign_id, result) -> str | None`: called after staff rebuild the report
    (the entry point passes the runs layer's dashboard refresh); its text says why not."""
    web = FastAPI(title="baocao", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(check_csrf)])
    web.state.baocao = app
    web.state.on_report = on_report
    web.state.limiter = LoginLimiter()
    web.state.templates = _templates(app)
    web.add_middleware(SessionMiddleware, secret_key=secret_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_HOURS * 3600, same_site="lax", https_only=secure_cookies)
    web.middleware("http")(security_headers)
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    web.add_exception_handler(LoginRequired, _to_login)
    web.add_exception_handler(Forbidden, _forbidden)
    # Starlette's own (unknown address, wrong method, a missing static file) and FastAPI's.
    web.add_exception_handler(StarletteHTTPException, _http_error)
    web.add_exception_handler(RequestValidationError, _invalid_request)
    web.add_exception_handler(Exception, _server_error)
    web.add_exception_handler(GoTo, _go_to)
    web.include_router(_routes())
    pages = _pages()
    web.include_router(pages, prefix="/c/{campaign}")
    web.include_router(pages)
    return web


def _templates(app: App) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    install(templates.env, app)
    return templates


async def security_headers(request: Request, call_next: Any) -> Response:
    """No framing by others, no sniffing, scripts and styles from this site only."""
    return _secured(request, await call_next(request))


def _secured(request: Request, response: Response) -> Response:
    """The security headers on one response (the 500 page is drawn outside the middleware)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
    )
    if request.url.path.startswith(("/tep/",)) or request.method != "GET":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def check_csrf(request: Request) -> None:
    """Every state-changing request must carry the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    given = request.headers.get("x-csrf-token")
    if not given:
        form = await request.form()
        value = form.get("csrf")
        given = value if isinstance(value, str) else None
    if not same_token(request.session.get("csrf"), given):
        raise HTTPException(403, "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ; hãy tải lại trang rồi thử lại.")


def baocao(request: Request) -> App:
    """The baocao App behind this web app."""
    return request.app.state.baocao


def current(request: Request) -> Person:
    """The logged-in, still active user, or a redirect to the login page."""
    uid = request.session.get("uid")
    if not uid:
        raise LoginRequired
    with baocao(request).session() as session:
        user = session.get(User, uid)
        if (
            user is None or not user.active or user.name != request.session.get("name")
            # A cookie from before a logout (a copy replayed later) carries an older number.
            or request.session.get("sv") != user.session_version
        ):
            request.session.clear()
            raise LoginRequired
        return Person(user.id, user.name, user.role)


Viewer = Annotated[Person, Depends(current)]


def editor(person: Viewer) -> Person:
    """An editor or admin (viewers only read)."""
    if not person.can_act:
        raise Forbidden("editor")
    return person


def admin(person: Viewer) -> Person:
    """An admin."""
    if not person.is_admin:
        raise Forbidden("admin")
    return person


Editor = Annotated[Person, Depends(editor)]
Admin = Annotated[Person, Depends(admin)]


class GoTo(FlowsError):
    """The page lives at another address (a bare one, once several campaigns exist)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def chosen(request: Request, person: Viewer) -> Campaign:
    """The campaign a page is about: the one in the address (/c/{campaign}/…), else the
    default one. With several campaigns a bare address is only a way in: a GET moves to the
    address naming the campaign (so what people copy and share says which campaign), and a
    form posted to a bare address is refused rather than applied to a guessed campaign."""
    app = baocao(request)
    named = request.path_params.get("campaign")
    if named is not None:
        found = next((c for c in app.campaigns if c.id == named), None)
        if found is None:
            raise HTTPException(404)
        return found
    default = workspace.default_campaign(app)
    if len(app.campaigns) > 1:
        if request.method != "GET":
            raise HTTPException(409, "Có nhiều chiến dịch: hãy mở trang của chiến dịch cần làm rồi thử lại.")
        query = f"?{request.url.query}" if request.url.query else ""
        raise GoTo(f"/c/{quote(default.id)}{request.url.path}{query}")
    return default


Chosen = Annotated[Campaign, Depends(chosen)]


def prefix(request: Request) -> str:
    """The address prefix of the campaign a request is about ("" at the bare addresses)."""
    named = request.path_params.get("campaign")
    return f"/c/{quote(named)}" if named else ""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_token()
    return token


def render(request: Request, template: str, person: Person | None, status_code: int = 200,
           chosen: Campaign | None = None, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """A page, with the user, the CSRF token and any flash message; a campaign's page also
    gets its address prefix (`cp`, every link names the campaign) and the switcher's list."""
    flash = request.session.pop("flash", None)
    if chosen is not None:
        here = request.url.path.removeprefix(prefix(request)) or "/"
        context.update(chosen=chosen, cp=f"/c/{quote(chosen.id)}", choices=workspace.campaign_choices(baocao(request)),
                       # switching keeps the page (an agency's page goes to the board: codes differ)
                       section="/" if here.startswith("/don-vi/") else here)
    return request.app.state.templates.TemplateResponse(
        request, template, {"person": person, "csrf": csrf_token(request), "flash": flash, "roles": ROLE_LABELS,
                            "cp": "", **context},
        status_code=status_code, headers=headers,
    )


def flash(request: Request, message: str, *, error: bool = False) -> None:
    """A message for the next page, as a sentence: a service's error text starts in lowercase
    ("kế hoạch không được là số âm …", written to follow "lỗi: " on the CLI), the page's
    message starts with a capital."""
    request.session["flash"] = {"text": message[:1].upper() + message[1:], "error": error}


def back(path: str) -> RedirectResponse:
    """After a POST: see the result with a GET (303)."""
    return RedirectResponse(path, status_code=303)


async def _to_login(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/"
    return RedirectResponse(f"/dang-nhap?tiep={quote(target, safe='')}", status_code=303)


async def _go_to(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GoTo)
    return RedirectResponse(exc.url, status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    person = _maybe_person(request)
    has = ROLE_LABELS.get(person.role, person.role) if person else "?"
    needs = "quản trị" if exc.needed == "admin" else "xử lý hoặc quản trị"
    return render(request, "error.html", person, status_code=403, title="Không có quyền",
                  message=f"Việc này cần quyền {needs}; tài khoản của bạn có quyền {has}.")


def _maybe_person(request: Request) -> Person | None:
    """The logged-in user, or None (an error page shows the menu only to someone logged in)."""
    try:
        return current(request)
    except LoginRequired:
        return None


ERROR_TITLES = {400: "Yêu cầu không hợp lệ", 403: "Không thực hiện được", 404: "Không tìm thấy trang",
                405: "Yêu cầu không hợp lệ", 409: "Chưa rõ chiến dịch", 413: "Tệp quá lớn",
                422: "Yêu cầu không hợp lệ", 429: "Thử lại sau"}
ERROR_MESSAGES = {404: "Không có trang hoặc tệp này. Hãy kiểm tra lại địa chỉ.",
                  405: "Trang này không nhận yêu cầu kiểu này; hãy mở trang từ trình đơn rồi làm lại."}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    person = _maybe_person(request)
    if person is None and exc.status_code in (404, 405):
        # Someone not logged in learns nothing about which addresses exist: every page but
        # the login page sends them there, whether or not it exists.
        return await _to_login(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code in (403, 409, 429) else None
    message = detail or ERROR_MESSAGES.get(exc.status_code, "Không thực hiện được yêu cầu này.")
    return render(request, "error.html", person, status_code=exc.status_code,
                  title=ERROR_TITLES.get(exc.status_code, "Có lỗi"), message=message, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    """Something broke: a Vietnamese page (the details go to the log, never to the page)."""
    log.error("web request %s %s failed", request.method, request.url.path, exc_info=exc)
    try:
        page = render(request, "error.html", None, status_code=500, title="Có lỗi khi xử lý",
                      message="Hệ thống gặp lỗi khi làm việc này. Hãy thử lại sau ít phút; nếu vẫn lỗi, "
                              "báo cho người quản trị kèm thời điểm xảy ra.")
    except Exception:  # noqa: BLE001 - the page itself could not be drawn: plain text, still Vietnamese
        page = PlainTextResponse("Hệ thống gặp lỗi khi làm việc này. Hãy thử lại sau.", status_code=500)
    return _secured(request, page)


# What a value in an address or a query is, as a person would name it.
PARAM_LABELS = {"item_id": "số thứ tự mục", "trang": "số trang", "nghieng": "độ nghiêng", "hop": "vùng cắt",
                "code": "mã đơn vị", "sha256": "mã tệp"}
KIND_TEXT = {"int_parsing": "phải là một số nguyên", "float_parsing": "phải là một số",
             "int_from_float": "phải là một số nguyên", "missing": "còn thiếu"}


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """A value in the address or query that is not what the page expects: a Vietnamese page
    (never the framework's English JSON)."""
    assert isinstance(exc, RequestValidationError)
    person = _maybe_person(request)
    if person is None:
        return await _to_login(request, exc)
    lines = []
    for error in exc.errors():
        name = str(error.get("loc", ("", "?"))[-1])
        label = PARAM_LABELS.get(name, f"«{name}»")
        given = error.get("input")
        shown = f" «{str(given)[:40]}»" if isinstance(given, str) else ""
        lines.append(f"Giá trị{shown} của {label} {KIND_TEXT.get(str(error.get('type')), 'không hợp lệ')}.")
    return render(request, "error.html", person, status_code=400, title=ERROR_TITLES[400],
                  message=" ".join(lines) or "Yêu cầu không hợp lệ; hãy mở lại trang rồi thử lại.")


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no //host or scheme) may follow a login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _routes() -> Any:
    r = APIRouter()

    # ------------------------------------------------------------------ login
    @r.get("/dang-nhap", response_class=HTMLResponse)
    def login_page(request: Request, tiep: str = "/") -> HTMLResponse:
        return render(request, "login.html", None, next=_safe_next(tiep))

    @r.post("/dang-nhap")
    async def login(request: Request) -> Response:
        form = await request.form()
        name = login_name(form_text(form, "ten"))[:128]
        password = str(form.get("mat_khau", ""))
        target = _safe_next(str(form.get("tiep", "/")))
        address = request.client.host if request.client else "?"
        limiter: LoginLimiter = request.app.state.limiter
        if limiter.blocked(address, name):
            log.warning("login rate limited for %s", address)
            return render(request, "login.html", None, status_code=429, next=target, name=name,
                          error="Đăng nhập sai quá nhiều lần. Hãy đợi 5 phút rồi thử lại.")
        with baocao(request).session() as session:
            user = user_by_name(name, session=session) if name else None
            ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
            if ok and user is not None:
                user.last_login_at = utcnow()
                uid, role, version = user.id, user.role, user.session_version
        if not ok:
            limiter.failed(address, name)
            log.info("failed login for %r from %s", name, address)
            return render(request, "login.html", None, status_code=401, next=target, name=name,
                          error="Tên đăng nhập hoặc mật khẩu không đúng.")
        limiter.succeeded(address, name)
        request.session.clear()  # a new session (and a new CSRF token) for the new login
        request.session.update(uid=uid, name=name, role=role, sv=version, csrf=new_token())
        return back(target)

    @r.post("/dang-xuat")
    def logout(request: Request) -> Response:
        # The cookie is signed, not stored: clearing it here leaves any copy valid. Bumping the
        # user's session version makes every cookie issued so far worthless.
        uid = request.session.get("uid")
        if uid:
            with baocao(request).session() as session:
                end_sessions(int(uid), session=session)
        request.session.clear()
        return back("/dang-nhap")

    _file_routes(r)
    return r


def _file_routes(r: APIRouter) -> None:
    """Files by the content hash of a stored blob: one address whatever the campaign."""

    # ------------------------------------------------------------------ files
    @r.get("/tep/{sha256}")
    def download(request: Request, sha256: str, person: Viewer, ten: str = "") -> Response:
        data, name = _blob(request, sha256, ten)
        disposition = f"attachment; filename=\"{_ascii(name)}\"; filename*=UTF-8''{quote(name)}"
        return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": disposition})

    @r.get("/tep/{sha256}/xem")
    def view(request: Request, sha256: str, person: Viewer) -> Response:
        data, name = _blob(request, sha256, "")
        try:
            app = baocao(request)
            shown, media = render_view(data, sha256, app.settings.data_dir / "web-cache" / "pdf", _blob_tz(app, sha256))
        except NotViewable as err:
            return PlainTextResponse(f"{err}.", status_code=415)
        disposition = "inline"
        if media == "application/pdf":  # the name the browser's PDF viewer shows and saves as
            pdf_name = f"{name.rsplit('.', 1)[0] if '.' in name else name}.pdf"
            disposition = f"inline; filename=\"{_ascii(pdf_name)}\"; filename*=UTF-8''{quote(pdf_name)}"
        # Shown files are hostile: no scripts, no forms, even if a browser tried to run them.
        return Response(shown, media_type=media, headers={"Content-Disposition": disposition,
                                                          "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"})

    @r.get("/tep/{sha256}/cat")
    def crop(request: Request, sha256: str, person: Viewer, trang: int = 1, hop: str = "", nghieng: float = 0.0) -> Response:
        """The part of a scanned page around one figure (to compare it with what OCR read)."""
        data, _ = _blob(request, sha256, "")
        try:
            box = tuple(float(v) for v in hop.split(","))
            if len(box) != 4:
                raise ValueError(hop)
            png = page_crop(data, trang, box, nghieng)  # type: ignore[arg-type]
        except (ValueError, ParserError):
            raise HTTPException(404) from None
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


def _pages() -> Any:
    """The pages of one campaign: mounted at /c/{campaign}/… and, for the default campaign,
    at the bare addresses (which move to /c/{campaign}/… once several campaigns exist)."""
    r = APIRouter()

    # ------------------------------------------------------------------ board
    @r.get("/", response_class=HTMLResponse)
    def board(request: Request, person: Viewer, c: Chosen, loc: str = "", sap_xep: str = "trang-thai",
              q: str = "") -> HTMLResponse:
        data = workspace.board(baocao(request), c.id, show=loc, sort=sap_xep, q=q.strip()[:100])
        return render(request, "board.html", person, chosen=c, filters=workspace.FILTERS, sorts=workspace.SORTS, **data)

    # ------------------------------------------------------------------ one agency
    @r.get("/don-vi/{code}", response_class=HTMLResponse)
    def agency_page(request: Request, code: str, person: Viewer, c: Chosen) -> HTMLResponse:
        try:
            data = workspace.agency(baocao(request), code, c.id)
        except UnknownRecipient:
            raise HTTPException(404) from None
        return render(request, "agency.html", person, chosen=c, channels=actions.CHANNELS, kinds=actions.KINDS,
                      fields=actions.FIELD_LABELS, form_token=actions.form_token(), **data)

    def _act(request: Request, code: str, work: Any, done: Any) -> Response:
        try:
            result = work()
        except actions.ActionError as err:
            flash(request, str(err), error=True)
        except ValueError:
            # Never a library's English message on the page: say what to do, log the detail.
            log.warning("web action on %s refused", code, exc_info=True)
            flash(request, "Giá trị nhập vào không hợp lệ; hãy kiểm tra lại rồi thử lại.", error=True)
        else:
            flash(request, done if not callable(done) else done(result))
        return back(f"{prefix(request)}/don-vi/{quote(code)}")

    @r.post("/don-vi/{code}/sua")
    async def correct(request: Request, code: str, person: Editor, c: Chosen) -> Response:
        f = await request.form()
        return _act(request, code, lambda: actions.correct_value(
            baocao(request), code, _form_int(f, "lan_nop"), form_text(f, "loai"), form_text(f, "muc"),
            form_text(f, "cot"), form_text(f, "gia_tri"), form_text(f, "ly_do"), person.name, c.id,
        ), "Đã ghi nhận chỉnh sửa; bản gốc vẫn được giữ.")

    @r.post("/don-vi/{code}/chap-nhan")
    async def accept(request: Request, code: str, person: Editor, c: Chosen) -> Response:
        f = await request.form()
        return _act(request, code, lambda: actions.accept(
            baocao(request), code, _form_int(f, "lan_nop"), form_text(f, "ghi_chu"), person.name, c.id,
        ), "Đã xác nhận số liệu của lần nộp này." if f.get("ban_quet") else "Đã đánh dấu chấp nhận lần nộp này.")

    @r.post("/don-vi/{code}/ghi-nhan")
    async def record(request: Request, code: str, person: Editor, c: Chosen) -> Response:
        f = await request.form()
        upload = f.get("tep")
        data = None
        if upload is not None and not isinstance(upload, str) and upload.filename:
            data = (form_filename(upload.filename), await upload.read())
        app = baocao(request)
        return _act(request, code, lambda: actions.record_response(
            app, code, form_text(f, "kenh"), form_text(f, "loai"),
            _moment(c, app.now(c), form_text(f, "luc")), form_text(f, "ghi_chu"), data, person.name, c.id,
            token=form_text(f, "form_token") or None,
        ), lambda result: ("Đã ghi nhận trả lời của đơn vị." if result["created"] else "Trả lời này đã được ghi nhận trước đó.")
           + (f" Tệp không đọc được: {result['error']} — đã giữ tệp và mở mục cần xem xét." if result.get("error") else ""))

    @r.post("/don-vi/{code}/gia-han")
    async def extend(request: Request, code: str, person: Editor, c: Chosen) -> Response:
        f = await request.form()
        return _act(request, code, lambda: actions.extend_deadline(
            baocao(request), code, _day(form_text(f, "han")), form_text(f, "ly_do"), person.name, c.id,
        ), lambda result: "Đã gia hạn; lịch nhắc của đơn vị tính lại theo hạn mới."
           + (f" Lưu ý: {result['warning']}" if result.get("warning") else ""))  # type: ignore[arg-type]

    @r.post("/don-vi/{code}/nhac-ngay")
    def remind_now(request: Request, code: str, person: Editor, c: Chosen) -> Response:
        return _act(request, code, lambda: actions.remind_now(baocao(request), code, person.name, c.id),
                    lambda result: result["message"])  # type: ignore[arg-type]

    @r.post("/don-vi/{code}/email")
    async def contact(request: Request, code: str, person: Editor, c: Chosen) -> Response:
        f = await request.form()
        return _act(request, code, lambda: actions.edit_contact(
            baocao(request), code, form_text(f, "cu"), form_text(f, "moi"), person.name, c.id,
        ), "Đã cập nhật địa chỉ email.")

    @r.post("/don-vi/{code}/email/tra-lai")
    async def bouncing(request: Request, code: str, person: Editor, c: Chosen) -> Response:
        f = await request.form()
        return _act(request, code, lambda: actions.mark_bouncing(
            baocao(request), code, form_text(f, "email"),
            bouncing=f.get("tra_lai") == "1", actor=person.name, campaign_id=c.id,
        ), "Đã cập nhật tình trạng địa chỉ.")

    # ------------------------------------------------------------------ review
    @r.get("/xem-xet", response_class=HTMLResponse)
    def review(request: Request, person: Viewer, c: Chosen) -> HTMLResponse:
        return render(request, "review.html", person, chosen=c, **workspace.review_queue(baocao(request), c.id))

    @r.post("/xem-xet/{item_id}/gan")
    async def assign(request: Request, item_id: int, person: Editor, c: Chosen) -> Response:
        f = await request.form()
        try:
            result = assign_item(baocao(request), item_id, form_text(f, "don_vi") or None, actor=person.name,
                                 campaign_id=form_text(f, "chien_dich") or None)
        except ReviewError as err:
            flash(request, str(err), error=True)
        else:
            done = f"cho {result['name']}" if "name" in result else f"vào chiến dịch {result['campaign']}"
            flash(request, f"Đã gán mục {item_id} {done}.")
        return back(f"{prefix(request)}/xem-xet")

    @r.post("/xem-xet/{item_id}/bo-qua")
    async def dismiss(request: Request, item_id: int, person: Editor, c: Chosen) -> Response:
        f = await request.form()
        reason = form_text(f, "ly_do").strip()
        if not reason:
            flash(request, "Hãy ghi lý do bỏ qua.", error=True)
            return back(f"{prefix(request)}/xem-xet")
        try:
            dismiss_item(baocao(request), item_id, reason, actor=person.name)
        except ReviewError as err:
            flash(request, str(err), error=True)
        else:
            flash(request, f"Đã bỏ qua mục {item_id}.")
        return back(f"{prefix(request)}/xem-xet")

    # ------------------------------------------------------------------ report, mail, campaign
    @r.get("/bao-cao", response_class=HTMLResponse)
    def report(request: Request, person: Viewer, c: Chosen) -> HTMLResponse:
        return render(request, "report.html", person, chosen=c, **workspace.report_page(baocao(request), c.id))

    @r.post("/bao-cao/lap-lai")
    def rebuild(request: Request, person: Editor, c: Chosen) -> Response:
        result = build_report(baocao(request), c.id, actor=person.name)
        message = f"Đã lập lại báo cáo: {result['stats']['responded']}/{result['stats']['total']} đơn vị đã báo cáo."
        hook = request.app.state.on_report
        why = hook(baocao(request), c.id, result) if hook else "giao diện web này không nối với bảng theo dõi Prefect"
        message += f" Bảng theo dõi Prefect chưa cập nhật: {why}." if why else " Bảng theo dõi Prefect đã cập nhật."
        flash(request, message)
        return back(f"{prefix(request)}/bao-cao")

    @r.get("/thu-di", response_class=HTMLResponse)
    def outgoing(request: Request, person: Viewer, c: Chosen) -> HTMLResponse:
        return render(request, "outgoing.html", person, chosen=c, **workspace.outgoing_page(baocao(request), c.id))

    @r.get("/chien-dich", response_class=HTMLResponse)
    def campaign(request: Request, person: Viewer, c: Chosen) -> HTMLResponse:
        return render(request, "campaign.html", person, chosen=c, **workspace.campaign_page(baocao(request), c.id))

    @r.post("/chien-dich/gui-cong-van")
    def send_request(request: Request, person: Admin, c: Chosen) -> Response:
        try:
            result = actions.send_request(baocao(request), person.name, c.id)
        except UnfinishedRequest as exc:
            flash(request, "Chưa gửi: công văn còn thiếu — " + "; ".join(exc.gaps) + ".", error=True)
            return back(f"{prefix(request)}/chien-dich")
        flash(request, f"Đã gửi công văn tới {len(result['sent'])} đơn vị; lỗi {len(result['failed'])}.",
              error=bool(result["failed"]))
        return back(f"{prefix(request)}/chien-dich")

    return r


# The HTML standard has browsers (and httpx) write '"', CR and LF of a file name as %22, %0D and
# %0A in a multipart form; nobody else undoes it (a real '%22' in a name is rare enough).
_FORM_ESCAPES = {"%22": '"', "%0D": "", "%0A": "", "%0d": "", "%0a": ""}


def form_filename(sent: str) -> str:
    """The name a person's file really has, from what the browser put in the form."""
    name = sent
    for escaped, plain in _FORM_ESCAPES.items():
        name = name.replace(escaped, plain)
    return name


FORM_LABELS = {"lan_nop": "lần nộp"}


def form_text(form: Any, name: str) -> str:
    """A text field of a form as baocao keeps text: NFC. Every form read goes through here, so a
    reason, note or corrected section typed on a Mac (or pasted from a PDF) in decomposed
    form is stored, searched and compared as the same words typed elsewhere."""
    value = form.get(name, "")
    return unicodedata.normalize("NFC", value if isinstance(value, str) else "")


def _form_int(form: Any, name: str) -> int:
    """A whole number from a form field (ASCII digits only), else a Vietnamese ActionError."""
    text = form_text(form, name).strip()
    if not (text.isascii() and text.isdigit()):
        raise actions.ActionError(f"{FORM_LABELS.get(name, name)} không hợp lệ («{text[:40]}»); hãy tải lại trang rồi thử lại")
    return int(text)


def _day(value: str) -> dt.date:
    """A date as people write it (29/08/2025, 29-8-2025) or ISO (2025-08-29)."""
    text = value.strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise actions.ActionError(f"ngày không hợp lệ: {value!r} (viết ngày/tháng/năm, ví dụ 29/08/2025)")


def _moment(campaign: Campaign, now: dt.datetime, value: str) -> dt.datetime:
    """A local moment from a form ("29/08/2025 14:30", a date alone, or ISO), aware in the
    campaign's zone; now if empty."""
    text = value.strip()
    if not text:
        return now
    date_part, _, time_part = text.replace("T", " ").partition(" ")
    try:
        clock = dt.time.fromisoformat(time_part.strip()) if time_part.strip() else dt.time(12, 0)
    except ValueError:
        raise actions.ActionError(f"giờ không hợp lệ: {time_part!r} (viết giờ:phút, ví dụ 14:30)") from None
    return dt.datetime.combine(_day(date_part), clock, campaign.tz)


def _blob(request: Request, sha256: str, name: str) -> tuple[bytes, str]:
    """The bytes of a known blob and a safe file name; 404 for anything else."""

    app = baocao(request)
    with app.session() as session:
        blob = known_blob(sha256, session=session)
        if blob is None:
            raise HTTPException(404)
        stored = blob_filename(sha256, session=session)
    try:
        data = app.blobs.read(sha256)
    except OSError:
        raise HTTPException(404) from None
    chosen = sanitize_filename(name or stored or sha256[:16], replacement_text="_")[:200] or sha256[:16]
    return data, chosen


def _blob_tz(app: App, sha256: str) -> dt.tzinfo:
    """The zone a stored mail's times are shown in: its campaign's, as on that campaign's pages;
    BAOCAO_TIMEZONE for bytes of no single campaign."""
    with app.session() as session:
        campaign_id = blob_campaign(sha256, session=session)
    known = {c.id: c for c in app.campaigns}
    return known[campaign_id].tz if campaign_id in known else ZoneInfo(app.settings.timezone)


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in fold(name) or "tep")
