"""Chinese labels and explanations staff read in the console and the CLI."""

__all__ = ["CHANNEL_LABELS", "ERROR_TEXTS", "REASON_LABELS", "error_text"]

CHANNEL_LABELS = {
    "web": "网页",
    "telegram": "Telegram",
    "wechat": "微信公众号",
    "sms": "短信",
    "voice": "电话",
}

REASON_LABELS = {
    "requested": "市民要求转人工",
    "not_understood": "多次未能理解",
    "unknown": "原因未知",
}

ERROR_TEXTS = {
    "no_open_handoff": "该会话没有待处理的人工服务（可能已被其他同事释放或已过期）。",
    "unauthorized": "网关拒绝了请求：内部接口令牌（INTERNAL_API_TOKEN）不一致。",
    "gateway_unavailable": "无法连接渠道网关，请稍后再试。",
    "rasa_unavailable": "智能助手服务暂时不可用，操作没有完成，请稍后再试。",
    "store_unavailable": "网关存储暂时不可用，请稍后再试。",
    "voice_call_already_transferred": "电话已转接人工坐席，无法再通过电话渠道发送消息。",
    "wechat_48h_window_closed": "市民最后一条消息已超过48小时，微信不允许再发送客服消息。",
    "wechat_customer_service_api_not_configured": "未配置微信公众号的 AppID/AppSecret，无法发送客服消息。",
    "telegram_bot_blocked_by_citizen": "市民已屏蔽机器人，无法发送。",
    "sms_opted_out": "该号码已退订短信，不能再发送。",
    "sms_provider_refused": "短信服务商拒绝发送，请稍后再试。",
    "sms_partly_sent": "短信只发出了一部分，请检查后补发。",
    "address_expired_or_unreadable": "市民的联系地址已过期或无法解密，无法送达。",
    "address_unknown": "没有保存市民的联系地址，无法送达。",
}


def error_text(error: str, reason: str | None) -> str:
    """The explanation for a failed inbox call (falls back to the raw reason)."""
    for key in (reason, error):
        if key and key in ERROR_TEXTS:
            return ERROR_TEXTS[key]
    detail = reason or error
    return f"操作未完成（{detail}）。"
