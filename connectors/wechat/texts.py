"""What the WeChat channels say on their own (not the assistant's answers). Plain text: WeChat shows
no markup in 微信客服 or 公众号 text messages."""

from __future__ import annotations

WELCOME = (
    "你好，我是蓉创助手，帮成都的创业团队找政策、园区和基金。\n"
    "直接用一句话提问，例如：算力太贵了，有没有补贴？\n"
    "我的回答都注明出处；想找工作人员，发送“转人工”。\n"
    "我们会保存对话，最后一次对话后 {days} 天自动删除；标有“示例”的内容是演示数据。"
)
TEXT_ONLY = "目前只能处理文字消息，请用文字描述你的问题。"
STAFF_ON_IT = "服务中心工作人员正在处理你的问题，你发的消息他们都能看到，回复会发到这里。"
STAFF_PREFIX = "服务中心工作人员回复："
BUSY = "抱歉，刚才出了点问题，没能处理你的消息。请稍后再发一次，或发送“转人工”。"
MENU_HEAD = "需要人工帮助吗？"
MENU_HANDOFF = "转人工"
MENU_HINT = "需要人工帮助，回复“转人工”。"
SOURCES = "来源"
PARKS = "可以看看这些园区"
FUNDS = "可以看看这些基金和资金"
SAMPLE = "（示例）"
EXPIRED = "（已失效）"

# Why a staff reply has not reached the founder yet (shown in the console as 未送达).
HELD_48H = "未送达：创业者超过 48 小时没有发消息，微信只允许在这之内回复。创业者再发消息时会自动发出。"
HELD_COUNT = "未送达：创业者上次发消息后已回复 {n} 条，微信最多允许 {n} 条。创业者再发消息时会自动发出。"
HELD_VENDOR = "未送达：微信不允许现在回复（{reason}）。创业者再发消息时会自动发出。"
