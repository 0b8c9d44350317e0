"""Chinese names of intents and faq topics, for "您是想…吗？" choices."""

from __future__ import annotations

from typing import Final

INTENT_LABELS: Final[dict[str, str]] = {
    "query_violation": "查询交通违法（违章）",
    "pay_fine": "缴纳交通违法罚款",
    "query_license_points": "查询驾驶证记分和有效期",
    "book_exam": "预约驾驶人考试",
    "query_exam_booking": "查询考试预约",
    "cancel_exam_booking": "取消考试预约",
    "reschedule_exam_booking": "改约考试时间",
    "query_inspection": "查询车辆年检",
    "book_inspection": "预约机动车检验",
    "file_complaint": "12345投诉举报",
    "give_suggestion": "提意见建议",
    "query_ticket": "查询工单进度",
    "rate_service": "服务评价",
    "query_office": "办事地点和办公时间",
    "human_handoff": "转人工服务",
    "help": "看看能办什么",
}

# A retrieval intent cannot be chosen by payload, so a faq choice sends a
# plain question the model answers with confidence.
FAQ_QUESTIONS: Final[dict[str, tuple[str, str]]] = {
    "residence_permit": ("居住证办理", "居住证怎么办理"),
    "id_card": ("身份证办理", "身份证怎么办理"),
    "hukou": ("户口迁移落户", "户口迁移怎么办"),
    "passport": ("护照办理", "护照怎么办理"),
    "hk_macau_permit": ("港澳通行证", "港澳通行证怎么办"),
    "social_insurance": ("社保业务", "社保怎么办理"),
    "housing_fund": ("住房公积金", "公积金怎么提取"),
    "medical_insurance": ("医保业务", "医保怎么报销"),
    "business_license": ("营业执照", "营业执照怎么办理"),
    "driving_license_renewal": ("驾驶证换证补证", "驾驶证到期怎么换证"),
    "vehicle_registration": ("车辆上牌过户", "新车怎么上牌"),
    "marriage_registration": ("婚姻登记", "结婚登记怎么办理"),
    "online_service": ("网上办事", "怎么在网上办事"),
}
