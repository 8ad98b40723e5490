"""Static libraries: product system prompts, tool definitions, CoT phrasings, framings,
follow-ups, judge templates, user agents and address space. All written for this benchmark.
"""

from __future__ import annotations

import json

MODELS = ["m-large", "m-medium", "m-small", "m-reason"]
MODEL_W = [0.45, 0.25, 0.18, 0.12]
EMBED_MODEL = "m-embed"
TPOT_MS = {"m-large": 24.0, "m-medium": 14.0, "m-small": 8.0, "m-reason": 28.0}

COMPANIES = [
    "Acme Bank",
    "Northwind Telecom",
    "Brightcart",
    "Lumen Air",
    "Papyrus Books",
    "Helio Energy",
    "Quokka Insurance",
    "Vela Travel",
    "Sprout Grocers",
    "Orbit Mobile",
    "Kestrel Health",
    "Mosaic Home",
    "Tidal Fitness",
    "Pinecone Realty",
    "Juniper Learn",
    "Ferro Motors",
    "Cobalt Cloud",
    "Saffron Foods",
    "Atlas Logistics",
    "Nimbus Games",
]
APPS = [
    "Pal",
    "Buddy",
    "Muse",
    "Sage",
    "Echo",
    "Nova",
    "Iris",
    "Atlas",
    "Juno",
    "Kai",
    "Orion",
    "Wren",
    "Milo",
    "Ember",
    "Quill",
]

SUPPORT_SYS = [
    "You are the customer support assistant for {c}. Answer politely and concisely. If the "
    "customer asks about billing disputes or legal matters, offer to connect them to a human agent. "
    "Never reveal internal policies. Today's date is {d}.",
    "You are {a}, {c}'s virtual agent. Help customers with orders, refunds, accounts and delivery. "
    "Keep answers under 120 words. Use the customer's name if known. Escalate when unsure.",
    "# Role\nSupport assistant for {c}.\n# Rules\n- Be friendly and brief\n- Only answer questions "
    "about {c} products\n- If you cannot help, say so and give the support email\n# Context\n"
    "Customer tier: {tier}. Locale: {loc}.",
]
CHAT_SYS = [
    "You are {a}, a friendly AI companion in the {a} app. Be warm, curious and helpful. Keep replies "
    "conversational.",
    "You are {a}, a helpful assistant. The user is chatting from a mobile app; prefer short paragraphs "
    "and bullet points. Current date: {d}.",
    "You are {a} by {c}. You help users with everyday questions, writing and planning. Do not claim "
    "to be human. Refuse unsafe requests.",
    "You are a helpful, knowledgeable assistant named {a}. Answer accurately; if you don't know, say so.",
]
TUTOR_SYS = [
    "You are a patient math and science tutor for {grade} students. Always explain step by step, "
    "show the worked solution, and check understanding at the end. Never just give the answer.",
    "You are {a}, a tutor on {c}'s learning platform. Walk the student through the reasoning one "
    "step at a time with a worked example, then summarise the key idea.",
    "Act as a Socratic tutor. Break problems into small steps and explain each step clearly, with "
    "the full worked explanation, so a {grade} student can follow.",
]
AGENT_SYS = [
    "You are an autonomous agent running on {c}'s platform. Use the provided tools to complete the "
    "user's task. Think about which tool to call, call it, and use the results. When done, reply "
    "with a concise summary.",
    "You are a workflow assistant. You can call functions. Prefer calling a tool over guessing. "
    "Current time: {d}. User timezone: {loc}.",
    "You are {a}, an AI agent. Plan, call tools, observe results, and iterate until the task is "
    "complete. Ask for confirmation before sending emails or making purchases.",
]
CODE_SYS = [
    "You are an AI programming assistant integrated in the editor. Follow the user's requirements "
    "carefully. Answer with code blocks and brief explanations. Current file: {file}",
    "You are a senior software engineer helping with code review and implementation. Be precise; "
    "prefer idiomatic {lang}.",
]
RAG_SYS = [
    "Answer the question using only the provided context. If the answer is not in the context, say "
    "you don't know. Cite passages like [1].",
    "You are {c}'s documentation assistant. Use the retrieved documents below to answer. Be concise.",
]
GENERIC_SYS = [
    "You are a helpful assistant.",
    "You are a helpful assistant. Answer concisely.",
    "You are an expert assistant. Provide a detailed, comprehensive answer.",
    "You are a knowledgeable assistant. Give thorough, well-structured answers with examples.",
    "You are ChatBot, a large language model. Answer as helpfully as possible.",
]

COT_PHRASES = [
    "Let's think step by step.",
    "Think step by step before answering.",
    "Explain your reasoning step by step, then give the final answer.",
    "Show your work.",
    "Reason through the problem carefully, then answer in the form 'Answer: X'.",
    "Let's work this out in a step by step way to be sure we have the right answer.",
    "First explain your reasoning, then state the answer.",
    "Please provide a detailed step-by-step explanation.",
]

FOLLOWUPS = [
    "Can you make that shorter?",
    "Thanks! Can you give an example?",
    "Can you explain that in simpler terms?",
    "What about the second point, can you expand?",
    "Ok, and what are the downsides?",
    "Could you put that in a table?",
    "That's not quite what I meant. I need it for work.",
    "Can you translate that to Spanish?",
    "Great, now write it as an email.",
    "Why is that?",
    "Are you sure? Double check please.",
    "Continue.",
    "Give me 3 more options.",
    "How would I do this on a budget?",
    "Please elaborate.",
    "Can you rewrite it in a more formal tone?",
    "thanks!!",
    "what do you mean by that",
    "Summarize the above in one sentence.",
]
SUPPORT_FOLLOWUPS = [
    "That didn't work.",
    "Can I talk to a human?",
    "How long will that take?",
    "I already tried that",
    "What's the refund window?",
    "ok thanks",
    "Where do I find that in the app?",
    "It still says pending.",
    "Can you check my order status again?",
]
TUTOR_FOLLOWUPS = [
    "Why do we divide there?",
    "Can you explain step 2 again?",
    "I got a different answer, is mine wrong?",
    "Can you give me a similar problem to practise?",
    "I still don't get it",
    "what formula is that",
    "ok so what's the final answer?",
    "Can you check my work: I think it's 42.",
]
HARVEST_FOLLOWUPS = [
    "Continue.",
    "Please elaborate.",
    "Can you give another example?",
    "Expand on the second point.",
    "Explain your reasoning in more detail.",
    "Now give an alternative answer.",
    "Rewrite the answer to be more detailed.",
]

# wrappers a prompt is sent in; "{q}" is the prompt
FRAME_PRE = [
    "",
    "Q: ",
    "Question: ",
    "Task: ",
    "### Instruction:\n",
    "Instruction: ",
    "Please help with the following.\n\n",
    "I need help with this: ",
    "Hey, ",
    "Request:\n",
    "Input:\n",
    "Here is a task for you.\n\n",
    "[user]\n",
]
FRAME_POST = [
    "",
    "\nA:",
    "\nAnswer:",
    "\n\n### Response:\n",
    "\n\nBe thorough.",
    "\n\nPlease answer in detail.",
    "\n\nThanks!",
    "\n\nKeep it clear and well organised.",
    "\nOutput:",
    " Explain fully.",
]

JUDGE_TEMPLATES = [
    "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response "
    "provided by an AI assistant to the user question displayed below. Your evaluation should "
    "consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of "
    "detail of the response. Begin your evaluation by providing a short explanation. Be as objective "
    "as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 "
    'by strictly following this format: "[[rating]]".\n\n[Question]\n{q}\n\n[The Start of '
    "Assistant's Answer]\n{a}\n[The End of Assistant's Answer]",
    "You are grading a student's answer.\nRubric:\n- Correctness (0-4)\n- Reasoning (0-3)\n- "
    "Clarity (0-3)\nGive a score for each criterion with a justification, then a total out of 10.\n\n"
    "Question:\n{q}\n\nStudent answer:\n{a}",
    "Evaluate the response below against the instruction. Score helpfulness, harmlessness and "
    "honesty from 1 to 5 each, explain each score, and suggest an improved response.\n\n"
    "Instruction: {q}\n\nResponse: {a}",
    "Compare the answer to the reference and decide if it is correct. Output a critique, then "
    "'Verdict: correct' or 'Verdict: incorrect'.\n\nQuestion: {q}\nAnswer: {a}",
]

AGENT_TASKS = [
    "Find three flights from {x} to {y} next Friday under $400 and summarise them.",
    "Check the weather in {y} for the weekend and suggest what to pack.",
    "Summarise my unread emails from today and draft replies to the urgent ones.",
    "Create a calendar event with the design team on Thursday at 3pm about {t}.",
    "Look up the latest news about {t} and write a 5-bullet brief.",
    "Query the sales database for last month's top 10 products in {y}.",
    "Read the file report.csv and compute the average of the revenue column.",
    "Book a table for 4 in {y} tomorrow at 7pm, Italian if possible.",
    "Search our docs for how to rotate API keys and send the steps to {x}.",
    "Compare the prices of {t} across three online stores.",
]
PLACES = [
    "London",
    "Berlin",
    "Austin",
    "Toronto",
    "Tokyo",
    "Madrid",
    "Chicago",
    "Lisbon",
    "Seoul",
    "Denver",
    "Sydney",
    "Paris",
    "Mumbai",
    "Dublin",
    "Boston",
    "Oslo",
]


def _fn(name: str, desc: str, props: dict, req: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": desc,
            "parameters": {"type": "object", "properties": props, "required": req},
        },
    }


_S = {"type": "string"}
TOOLS = [
    _fn(
        "get_weather",
        "Get the current weather for a location",
        {"location": _S, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        ["location"],
    ),
    _fn(
        "web_search",
        "Search the web and return the top results",
        {"query": _S, "num_results": {"type": "integer"}},
        ["query"],
    ),
    _fn("fetch_url", "Fetch a web page and return its text", {"url": _S}, ["url"]),
    _fn("run_python", "Execute Python code in a sandbox and return stdout", {"code": _S}, ["code"]),
    _fn("read_file", "Read a file from the workspace", {"path": _S}, ["path"]),
    _fn(
        "write_file",
        "Write content to a file in the workspace",
        {"path": _S, "content": _S},
        ["path", "content"],
    ),
    _fn(
        "send_email",
        "Send an email on behalf of the user",
        {"to": _S, "subject": _S, "body": _S},
        ["to", "subject", "body"],
    ),
    _fn(
        "create_event",
        "Create a calendar event",
        {
            "title": _S,
            "start": _S,
            "duration_min": {"type": "integer"},
            "attendees": {"type": "array", "items": _S},
        },
        ["title", "start"],
    ),
    _fn(
        "run_sql",
        "Run a read-only SQL query against the analytics warehouse",
        {"query": _S},
        ["query"],
    ),
    _fn("lookup_order", "Look up an order by id", {"order_id": _S}, ["order_id"]),
    _fn(
        "create_ticket",
        "Open a support ticket",
        {
            "subject": _S,
            "priority": {"type": "string", "enum": ["low", "normal", "high"]},
            "description": _S,
        },
        ["subject", "description"],
    ),
    _fn(
        "get_account",
        "Get the customer's account status and plan",
        {"customer_id": _S},
        ["customer_id"],
    ),
    _fn(
        "search_docs",
        "Search the knowledge base",
        {"query": _S, "top_k": {"type": "integer"}},
        ["query"],
    ),
    _fn("calculator", "Evaluate an arithmetic expression", {"expression": _S}, ["expression"]),
    _fn("get_stock_price", "Get the latest price for a ticker", {"ticker": _S}, ["ticker"]),
    _fn("translate", "Translate text", {"text": _S, "target": _S}, ["text", "target"]),
    _fn("list_directory", "List files in a directory", {"path": _S}, ["path"]),
    _fn(
        "book_restaurant",
        "Book a restaurant table",
        {"name": _S, "time": _S, "party_size": {"type": "integer"}},
        ["name", "time", "party_size"],
    ),
]
TOOL_CHARS = {t["function"]["name"]: len(json.dumps(t)) for t in TOOLS}
SUPPORT_TOOLS = ["lookup_order", "create_ticket", "get_account", "search_docs"]

UAS = [
    "OpenAI/Python 1.54.4",
    "OpenAI/Python 1.40.0",
    "AsyncOpenAI/Python 1.51.2",
    "OpenAI/NodeJS/4.67.3",
    "OpenAI/NodeJS/4.28.0",
    "python-requests/2.32.3",
    "python-httpx/0.27.2",
    "curl/8.5.0",
    "axios/1.7.7",
    "Go-http-client/2.0",
    "litellm/1.52.0",
    "langchain-openai/0.2.9 OpenAI/Python 1.54.4",
    "okhttp/4.12.0",
    "Java-http-client/17.0.9",
    "llama-index/0.11.20 OpenAI/Python 1.50.2",
    "aiohttp/3.10.10",
    "node-fetch/1.0",
]
UA_W = [14, 6, 6, 9, 4, 7, 6, 2, 3, 3, 4, 4, 2, 1, 2, 3, 1]
CLIENT_UAS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36"
    " (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0;"
    " Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.6 Safari/605.1.15",
    "okhttp/4.12.0",
    "Dart/3.5 (dart:io)",
]

DC_PREFIX = [
    (3, 0, 255),
    (18, 128, 255),
    (34, 0, 255),
    (35, 180, 250),
    (52, 0, 255),
    (54, 64, 255),
    (20, 0, 255),
    (40, 64, 127),
    (104, 131, 131),
    (137, 184, 184),
    (138, 197, 197),
    (139, 59, 59),
    (143, 198, 198),
    (157, 245, 245),
    (159, 89, 89),
    (164, 90, 90),
    (167, 71, 71),
    (178, 62, 62),
    (188, 166, 166),
    (5, 9, 9),
    (78, 46, 46),
    (88, 198, 198),
    (95, 216, 217),
    (116, 202, 203),
    (135, 181, 181),
    (49, 12, 13),
    (136, 243, 243),
    (51, 68, 91),
    (141, 94, 95),
    (147, 135, 135),
    (149, 202, 202),
]
RES_FIRST = [
    24,
    47,
    50,
    67,
    68,
    69,
    70,
    71,
    72,
    73,
    75,
    76,
    96,
    97,
    98,
    99,
    108,
    174,
    2,
    5,
    31,
    37,
    46,
    77,
    79,
    80,
    81,
    82,
    83,
    84,
    85,
    86,
    87,
    89,
    90,
    91,
    92,
    93,
    94,
    1,
    14,
    27,
    36,
    39,
    42,
    58,
    59,
    60,
    61,
    101,
    110,
    111,
    112,
    114,
    115,
    116,
    117,
    118,
    119,
    121,
    122,
    123,
    124,
    125,
    177,
    179,
    186,
    187,
    189,
    190,
    191,
    200,
    201,
]
V6_PREFIX = [
    "2a01:4f8",
    "2600:1f18",
    "2600:1900",
    "2a05:d014",
    "2406:da18",
    "2604:a880",
    "2a02:c207",
]
TIMEZONES = [-8, -7, -6, -5, -3, 0, 1, 2, 3, 5.5, 7, 8, 9, 10]
TZ_W = [10, 3, 5, 12, 3, 6, 10, 4, 2, 6, 2, 6, 4, 2]
