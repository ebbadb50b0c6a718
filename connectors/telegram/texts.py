"""What the bot says on its own (not the assistant's answers). Telegram HTML, already escaped."""

from __future__ import annotations

COMMANDS = [
    ("start", "开始：能做什么、隐私说明"),
    ("help", "使用帮助"),
    ("human", "转人工：联系服务中心工作人员"),
    ("profile", "查看我的创业画像"),
    ("reset", "重新开始：清空画像和对话"),
    ("delete", "删除我的全部记录"),
]

WHAT_I_DO = (
    "我可以：\n"
    "• 回答成都创业政策问题，每句话都注明出处（文件、文号、章节）\n"
    "• 按你的赛道、阶段和需求推荐园区和基金\n"
    "• 随时转给服务中心工作人员（/human），他们的回复也会发到这里"
)

PRIVACY = (
    "<b>隐私说明</b>\n"
    "我们保存：你在这里和助手的对话，以及从对话里整理出的创业画像（赛道、阶段、团队规模、需求、所在区等）；"
    "转人工时，服务中心工作人员会看到对话摘要和画像。\n"
    "保存多久：最后一次对话后 {days} 天自动删除。\n"
    "怎么删除：发送 /delete 立即删除全部记录；发送 /reset 清空画像、重新开始。"
    "Telegram 聊天窗口里的消息需要你在 Telegram 里自行删除。"
)


def welcome(retention_days: int) -> str:
    return (
        "你好，我是<b>蓉创助手</b>，帮成都的创业团队找政策、园区和基金。\n\n"
        f"{WHAT_I_DO}\n\n"
        "直接用一句话提问，例如：<i>算力太贵了，有没有补贴？</i>\n\n" + PRIVACY.format(days=retention_days)
    )


HELP = (
    f"{WHAT_I_DO}\n\n"
    "<b>命令</b>\n"
    "/human 转人工\n"
    "/profile 查看我的创业画像\n"
    "/reset 清空画像和对话，重新开始\n"
    "/delete 删除我的全部记录\n"
    "/start 欢迎语和隐私说明\n\n"
    "标有“示例”的内容是演示数据，不是正式政策。"
)

PROFILE = "<b>你的创业画像</b>\n{profile}\n\n"
PROFILE_EMPTY = "还没有记录你的创业画像。\n\n"
PROFILE_FIX = (
    "不对的地方直接告诉我就行，例如：<i>我们不是做人工智能的，是做生物医药，团队 5 人</i>。"
    "想全部清空，发送 /reset。"
)
RESET = "好的，已经开始新的对话：之前的对话记录和创业画像都已清除。请直接提问。"
DELETED = (
    "已删除你在蓉创助手的全部记录：对话、创业画像和转人工工单。"
    "之后再发消息会开始一段新的对话。Telegram 聊天窗口里的消息需要你在 Telegram 里自行删除。"
)
TEXT_ONLY = "目前只能处理文字消息，请用文字描述你的问题。"
BUSY = "抱歉，刚才出了点问题，没能处理你的消息。请稍后再试，或发送 /human 转人工。"
EXPIRED = "这条推荐已经过期（对话可能已重置或删除），请重新提问。"
HANDOFF_TOAST = "已为你转人工"
