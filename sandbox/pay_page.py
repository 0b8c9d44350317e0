"""The citizen-facing payment page a pay_url points at (no signature needed)."""

from __future__ import annotations

import re
from html import escape

from aiohttp import web

from sandbox import keys
from sandbox.statuses import PaymentStatus
from sandbox.traffic.fines import effective_status, load_order, settle
from sandbox.wire import money

routes = web.RouteTableDef()

_ORDER_RE = re.compile(r"^ZF\d{16}$")
_STATUS_TEXT = {
    PaymentStatus.PENDING: "待支付",
    PaymentStatus.PAID: "支付成功",
    PaymentStatus.CANCELLED: "已取消（该罚款已通过其他订单缴纳）",
    PaymentStatus.EXPIRED: "已过期，请重新发起缴费",
}

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;max-width:30em;margin:2em auto;padding:0 1em}}
dt{{color:#666}}dd{{margin:0 0 .8em}}button{{font-size:1.1em;padding:.5em 2em}}</style>
</head><body>
<h1>{title}</h1>
<p>本页面为沙盒环境模拟支付，不会产生真实扣款。</p>
{content}
</body></html>"""


def _page(title: str, content: str, status: int = 200) -> web.Response:
    html = _PAGE.format(title=escape(title), content=content)
    return web.Response(
        text=html, status=status, content_type="text/html", charset="utf-8"
    )


def _not_found() -> web.Response:
    return _page("订单不存在", "<p>未找到该缴费订单，请核对链接。</p>", status=404)


@routes.get("/pay/{order_id}")
async def show(request: web.Request) -> web.Response:
    """Show the order and, while it is pending, a 确认支付 button."""
    order_id = request.match_info["order_id"]
    if not _ORDER_RE.match(order_id):
        return _not_found()
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DB].read() as session:
        found = await load_order(session, order_id)
    if found is None:
        return _not_found()
    payment, violation, plate = found
    status = effective_status(payment, now)
    details = (
        "<dl>"
        f"<dt>订单号</dt><dd>{escape(payment.order_id)}</dd>"
        f"<dt>处罚决定书编号</dt><dd>{escape(violation.decision_number)}</dd>"
        f"<dt>号牌号码</dt><dd>{escape(plate)}</dd>"
        f"<dt>违法行为</dt><dd>{escape(violation.description)}</dd>"
        f"<dt>罚款金额</dt><dd>￥{money(payment.amount_fen)}</dd>"
        f'<dt>订单状态</dt><dd id="status">{escape(_STATUS_TEXT[status])}</dd>'
        "</dl>"
    )
    if status is PaymentStatus.PENDING:
        details += (
            f'<form method="post" action="/pay/{escape(payment.order_id)}">'
            '<button type="submit">确认支付</button></form>'
        )
    return _page("交通违法罚款缴纳", details)


@routes.post("/pay/{order_id}")
async def confirm(request: web.Request) -> web.StreamResponse:
    """Settle the order, then show its page again (post/redirect/get)."""
    order_id = request.match_info["order_id"]
    if not _ORDER_RE.match(order_id):
        return _not_found()
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DB].write() as session:
        found = await load_order(session, order_id)
        if found is None:
            return _not_found()
        await settle(session, found[0], now)
    raise web.HTTPSeeOther(location=f"/pay/{order_id}")
