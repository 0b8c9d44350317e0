"""Chinese texts the gateway itself shows when Rasa cannot answer (rule 20)."""

__all__ = [
    "BIND_BAD_NUMBER",
    "BIND_CODE_INVALID",
    "BIND_CODE_SENT",
    "BIND_DONE",
    "BIND_HOW",
    "BIND_ON_SMS",
    "BIND_OPTED_OUT",
    "BIND_SEND_FAILED",
    "BIND_SMS",
    "BIND_TOO_OFTEN",
    "BIND_UNSUPPORTED",
    "BIND_WRONG_CODE",
    "CHOICE_EXPIRED",
    "EMPTY_MESSAGE",
    "HANDED_OFF",
    "RATE_LIMITED",
    "UNAVAILABLE",
    "UNBIND_DONE",
    "UNBIND_NONE",
]

UNAVAILABLE = "系统繁忙，暂时无法回复您，请稍后再试或拨打12345政务服务热线。"
"""Rasa is down, slow or answered nothing: the citizen still gets an answer."""

HANDED_OFF = (
    "您的消息已转给人工客服，工作人员会尽快回复您，请耐心等待。"
    "如有急事，请拨打12345政务服务热线。"
)
"""The conversation is with staff (Rasa paused it); shown once per pause."""

RATE_LIMITED = "您发送消息太频繁了，请稍等一分钟再试。"
"""Too many messages from one sender within a minute; shown once per minute."""

EMPTY_MESSAGE = "请用文字告诉我您要办理的事项，例如“查违章”或“预约驾考”。"
"""A message with no usable text (sticker, photo, blank, control characters)."""

CHOICE_EXPIRED = "这个选项已失效，请点选最新的选项，或直接输入您的问题。"
"""A button pressed that is not among the choices last offered."""

# One citizen, several channels (channels/binding).
BIND_HOW = (
    "请发送“绑定手机”加上您的手机号，例如：绑定手机 13800138000。"
    "绑定后，您在网页、微信、Telegram和短信上与我们的对话会连在一起。"
)
BIND_BAD_NUMBER = (
    "这个手机号格式不正确，请输入11位中国大陆手机号，例如：绑定手机 13800138000。"
)
BIND_CODE_SENT = (
    "验证码已通过短信发送至 {phone}，请在5分钟内直接回复6位验证码完成绑定。"
)
BIND_SMS = (
    "【政务服务助手】您的绑定验证码为{code}，5分钟内有效。如非本人操作，请忽略本短信。"
)
BIND_DONE = (
    "绑定成功！当前渠道已与手机号 {phone} 关联，您在其他已绑定渠道上的对话可以在这里继续。"
    "如需解除，请发送“解除绑定”。"
)
BIND_WRONG_CODE = "验证码不正确，请核对短信后重新输入，还可以再试{left}次。"
BIND_CODE_INVALID = "验证码已失效，请重新发送“绑定手机”加手机号获取新的验证码。"
BIND_TOO_OFTEN = "验证码发送太频繁，请稍后再试。"
BIND_SEND_FAILED = "验证码短信暂时发送失败，请稍后再试。"
BIND_UNSUPPORTED = "暂时无法绑定手机号，请稍后再试或拨打12345政务服务热线。"
BIND_ON_SMS = "您正在通过短信与我们联系，手机号已确认，无需绑定。"
BIND_OPTED_OUT = "该手机号已退订本服务短信，无法接收验证码。请先用该手机发送“订阅”到本服务号码后再试。"
UNBIND_DONE = "已解除当前渠道与手机号的绑定，之后在这里的对话将单独进行。"
UNBIND_NONE = "当前渠道还没有绑定手机号。"
